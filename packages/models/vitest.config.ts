import { projectConfig } from '../../vitest.shared.ts';
export default projectConfig('models', import.meta.dirname);
