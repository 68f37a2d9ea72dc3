/** Terminal niceties for the CLI: a spinner while waiting, only when a person watches (never in scripts or --json). */
import yoctoSpinner from 'yocto-spinner';

export async function withSpinner<T>(text: string, enabled: boolean, work: () => Promise<T>): Promise<T> {
  if (!enabled || !process.stderr.isTTY) return work();
  // Written to stderr, so stdout stays clean for pipes; no signal handlers of its own, so Ctrl-C still ends the CLI.
  const spinner = yoctoSpinner({ text, stream: process.stderr, handleSignals: false }).start();
  try {
    const result = await work();
    spinner.stop();
    return result;
  } catch (err) {
    spinner.stop();
    throw err;
  }
}
