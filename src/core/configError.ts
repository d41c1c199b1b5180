/** A configuration mistake; the message names the option. */
export class ConfigError extends Error {
  constructor(readonly option: string, problem: string) {
    super(`tracelet: option "${option}" ${problem}; tracing is off`);
    this.name = 'ConfigError';
  }
}
