import { projectConfig } from '../../vitest.shared.ts';
export default projectConfig('tracking', import.meta.dirname);
