export * from './corpora/index.ts';
export * from './features/index.ts';
