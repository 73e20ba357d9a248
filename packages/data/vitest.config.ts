import { projectConfig } from '../../vitest.shared.ts';
export default projectConfig('data', import.meta.dirname);
