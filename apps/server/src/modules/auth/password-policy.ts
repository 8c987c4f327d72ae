import { dictionary } from '@zxcvbn-ts/language-common';
import { invalid } from '../../http/app-error.ts';

/**
 * The 49,000 most common passwords of breach corpora, as zxcvbn-ts ships them (MIT): checked offline, nothing
 * leaves the server. Lower-cased, since letter case adds little to a common word.
 */
const commonPasswords: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((word) => word.toLowerCase()),
);

const MIN_LENGTH = 12;
const MAX_LENGTH = 1024;
// Digits and symbols people put around a common word to pass a length rule ("password1234!", "!!monkey2024").
const DECORATION = /^[\p{N}\p{P}\p{S}\p{Z}]*(.*?)[\p{N}\p{P}\p{S}\p{Z}]*$/u;

export interface PasswordContext {
  readonly email: string;
  readonly displayName: string;
}

/**
 * Why a new password is refused, or null. ASVS Level 2: at least 12 characters (counted as code points) and up
 * to 1,024 allowed, no composition rules; not a common or breached password, nor one merely decorated with
 * digits and symbols or repeated ("monkey2024!!", "dragondragon"); not the user's e-mail, its local part, their
 * name, or the product's name.
 */
export function passwordProblem(password: string, context: PasswordContext): string | null {
  // Code points, as NIST counts characters: a character outside the BMP is one, not two UTF-16 units.
  const length = password.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '_').length;
  if (length < MIN_LENGTH) return `at least ${String(MIN_LENGTH)} characters`;
  if (length > MAX_LENGTH) return `at most ${String(MAX_LENGTH)} characters`;
  const lower = password.toLowerCase().normalize('NFKC');
  const core = DECORATION.exec(lower)?.[1] ?? lower;
  if (
    commonPasswords.has(lower) ||
    (core.length >= 4 && commonPasswords.has(core)) ||
    isRepeat(lower) ||
    isRepeat(core)
  ) {
    return 'is one of the most common passwords; choose a longer phrase of your own';
  }
  const email = context.email.toLowerCase();
  const personal = [email, email.split('@')[0] ?? '', context.displayName.toLowerCase().trim(), 'tidewatch'];
  if (personal.some((word) => word.length > 0 && (lower === word || core === word))) {
    return 'must not be your e-mail address, your name or the name of the product';
  }
  return null;
}

/** A short unit written again and again ("abcabcabcabc", "dragondragon"), or a common word twice. */
function isRepeat(text: string): boolean {
  for (let size = 1; size <= text.length / 2; size += 1) {
    if (text.length % size !== 0) continue;
    const unit = text.slice(0, size);
    if (unit.repeat(text.length / size) === text && (size <= 4 || commonPasswords.has(unit))) return true;
  }
  return false;
}

/** Throws a 400 on `field` when the password may not be set. */
export function assertPasswordAllowed(field: string, password: string, context: PasswordContext): void {
  const problem = passwordProblem(password, context);
  if (problem !== null) throw invalid(field, problem);
}
