import { OperatorError, TesseraError, type OperatorErrorCode } from '../errors.js';

/** How each operator error begins on stderr, after `tessera: `; the message says the rest. */
const PREFIX: Record<OperatorErrorCode, string> = {
  invalid_configuration: 'configuration error: ',
  production_database: '',
  key_unavailable: '',
  seal_failed: '',
  invalid_command: '',
  unusable_password_hash: '',
  invalid_import_file: '',
};

/** The one line a failed command prints (after `tessera: `): the one mapping from errors to the CLI. */
export function cliMessage(error: unknown): string {
  if (error instanceof TesseraError) return error.description;
  if (error instanceof OperatorError) return `${PREFIX[error.code]}${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
