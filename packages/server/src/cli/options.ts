import { CliError } from './io.js';

/** A commander option parser accepting whole numbers in [min, max]. */
export function integerOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new CliError(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
    return Number(value);
  };
}
