// Preloaded into a measured service (with --expose-gc): SIGUSR2 runs a full garbage collection, so
// a heap reading counts what is retained, not garbage V8 has not collected yet.
process.on('SIGUSR2', () => globalThis.gc?.());
