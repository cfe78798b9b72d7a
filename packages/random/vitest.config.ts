import { packageTests } from '@msn/vitest-config';
import { defineConfig } from 'vitest/config';

export default defineConfig(packageTests());
