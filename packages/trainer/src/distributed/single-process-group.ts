// The group of a process that runs alone (WORLD_SIZE unset or 1): every collective is a copy.
import { CollectiveGroup, destroyedError, type PreparedCollective } from './collective-group';

/**
 * A world of one: collectives return copies (sum and mean of one rank are the value itself), so code written
 * for data-parallel training runs unchanged in a single process, with no worker thread and no sockets.
 */
export class SingleProcessGroup extends CollectiveGroup {
  readonly rank = 0;
  readonly worldSize = 1;
  readonly localRank = 0;
  readonly localWorldSize = 1;
  readonly backend = 'single' as const;
  private destroyed = false;

  protected runSync(collective: PreparedCollective): ArrayBufferLike {
    if (this.destroyed) throw destroyedError(collective.kind);
    const buffer = new ArrayBuffer(collective.byteLength);
    collective.fill(buffer);
    return buffer;
  }

  destroy(): void {
    this.destroyed = true;
  }
}
