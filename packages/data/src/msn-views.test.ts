import { describe, expect, it } from 'vitest';
import { groupMSNViews, msnViewList } from './msn-views';

describe('MSN views by role', () => {
  it('take the first random view as target, the others as anchors, the rest as focal views, and back', () => {
    const views = groupMSNViews(['r0', 'r1', 'r2', 'f0', 'f1'], 3);
    expect(views).toEqual({ target: 'r0', anchors: ['r1', 'r2'], focal: ['f0', 'f1'] });
    expect(msnViewList(views)).toEqual(['r0', 'r1', 'r2', 'f0', 'f1']);
    expect(groupMSNViews(['r0', 'r1'], 2).focal).toEqual([]);
  });

  it('name a view list shorter than its random views', () => {
    expect(() => groupMSNViews(['r0'], 2)).toThrow(
      `groupMSNViews: invalid argument 'views' = "1 views"; expected at least randomViews = 2 views, with randomViews >= 1`,
    );
    expect(() => groupMSNViews(['r0'], 0)).toThrow(/expected at least randomViews = 0 views, with randomViews >= 1/);
  });
});
