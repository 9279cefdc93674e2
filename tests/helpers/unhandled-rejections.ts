/** Records unhandled rejections between start() and stop(); a test asserts there were none. */
export function trackUnhandledRejections() {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => {
    seen.push(reason);
  };
  return {
    start: () => process.on('unhandledRejection', listener),
    stop: () => process.off('unhandledRejection', listener),
    seen,
  };
}
