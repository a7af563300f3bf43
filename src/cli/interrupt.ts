/** An AbortSignal that fires when the user presses Ctrl-C, for engines that take a signal. */
export function abortOn(interrupted: Promise<void>): AbortSignal {
  const controller = new AbortController();
  void interrupted.then(() => controller.abort());
  return controller.signal;
}
