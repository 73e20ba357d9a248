// eslint-disable-next-line @nx/enforce-module-boundaries -- the one shared vitest config lives at the repo root
import { projectConfig } from '../../vitest.shared.ts';
export default projectConfig('report', import.meta.dirname);
