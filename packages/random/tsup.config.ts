import { library } from '@msn/tsup-config';
import { defineConfig } from 'tsup';

export default defineConfig(library());
