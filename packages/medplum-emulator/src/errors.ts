/** An expected start-up failure (port in use, unreadable seed or data file): the CLI prints the message, no stack. */
export class EmulatorStartError extends Error {
  override name = 'EmulatorStartError';
}
