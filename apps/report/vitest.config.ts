import { projectConfig } from '../../vitest.shared.ts';
export default projectConfig('report', import.meta.dirname);
