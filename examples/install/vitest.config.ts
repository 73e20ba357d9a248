// eslint-disable-next-line @nx/enforce-module-boundaries -- the shared vitest config is a workspace file, not a package
import { projectConfig } from '../../vitest.shared.ts';
export default projectConfig('install-check', import.meta.dirname);
