import { describe, expect, it } from 'vitest';
import { cliMessage } from '../src/cli/error-message.js';
import * as errors from '../src/errors.js';
import { classify, STATUS_OF } from '../src/http/error-handler.js';

/** One of each error class Tessera defines, as it would be thrown. */
const samples: Error[] = [
  new errors.TesseraError('not_found', 'No user named "ghost"'),
  new errors.InvalidTokenError('expired'),
  new errors.InvalidGrantError('reused'),
  new errors.InvalidSessionError('idle'),
  new errors.CredentialsChangedError(),
  new errors.StoreUnavailableError(),
  new errors.OverloadedError(2),
  new errors.RateLimitedError(30),
  new errors.OperatorError('key_unavailable', 'JWT_SECRET is not set'),
  new errors.ConfigError('PORT', 'must be a port number'),
  new errors.ProductionDatabaseError('development'),
  new errors.KeyUnavailableError('no access signing key is loaded'),
  new errors.SealError('the secret does not open this sealed key'),
  new errors.CliError('give one of --user, --all or --family'),
  new errors.UsernameTakenError('ada'),
  new errors.InvalidClientError(),
  new errors.ServiceNameTakenError('billing'),
  new errors.TokenExchangeWithdrawnError(),
  new errors.LegacyAuthUnavailableError(),
  new errors.UnusableHashError('bcrypt cost must be a whole number from 4 to 16'),
  new errors.ImportFileError('the CSV header must name the columns username, role, email, password_hash (missing: username)'),
];

describe('errors', () => {
  it('has a sample of every error class errors.ts exports', () => {
    const classes = Object.values(errors).filter((value) => typeof value === 'function' && value.prototype instanceof Error);
    expect(classes.filter((c) => !samples.some((s) => s.constructor === c))).toEqual([]);
  });

  it('gives every error a stable code, an HTTP answer and one CLI line, never a stack trace', () => {
    for (const error of samples) {
      const code = (error as { code?: string }).code;
      expect([...Object.keys(STATUS_OF), ...errors.OPERATOR_ERROR_CODES], error.name).toContain(code);
      const answer = classify(error);
      expect(STATUS_OF[answer.code], error.name).toBeGreaterThanOrEqual(400);
      expect(cliMessage(error), error.name).not.toMatch(/\n|at .*\.ts/);
    }
  });

  it('answers an operator error met while serving as a plain 500, the details only in the log', () => {
    expect(classify(new errors.KeyUnavailableError('no configured secret opens signing key k1'))).toEqual({
      code: 'server_error',
      description: 'Internal server error',
    });
  });

  it('prints a configuration error in the CLI as one line naming the variable', () => {
    expect(cliMessage(new errors.ConfigError('PORT', 'must be a port number (got "x")'))).toBe('configuration error: PORT: must be a port number (got "x")');
    expect(cliMessage(new errors.InvalidGrantError('expired'))).toBe('The refresh token has expired; log in again');
  });
});
