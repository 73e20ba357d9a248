export * from './config/index.ts';
export { collectRunEnvironment, packageVersion, gitInfo, pythonPath, pythonVersions, TRACKED_LIBRARIES, type RunEnvironment } from './env.ts';
export { terminalContext, silentContext, type RunContext, type Progress } from './context.ts';
export { EXIT, UsageError } from './errors.ts';
export { interruptible } from './interrupt.ts';
export { runDoctor, formatDoctor, mlflowCheck, type DoctorReport, type Check, type CheckStatus } from './doctor.ts';
export { listRunDirs, formatRuns, type RunEntry } from './runs.ts';
