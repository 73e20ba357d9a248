import { projectConfig } from '../../vitest.shared.ts';
export default projectConfig('library-example', import.meta.dirname);
