// eslint-disable-next-line @nx/enforce-module-boundaries -- the root vitest helper is config, not a library
import { projectConfig } from '../../vitest.shared.ts';
export default projectConfig('eval', import.meta.dirname);
