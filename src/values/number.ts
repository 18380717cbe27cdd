// DynamoDB numbers: exact decimals of up to 38 significant digits with a magnitude between
// 1E-130 and 9.99…E+125. Parsing, canonical text, exact comparison and exact + / −.
// Nothing here goes through float64: every value is handled as a digit string and an exponent.
import { DynamoError, validationError } from '../protocol/errors.ts';
import { numberDigitsMax, numberExponentMax, numberExponentMin } from '../limits.ts';

/**
 * A normalized DynamoDB number, in scientific form:
 *   value = sign × d₁.d₂d₃…dₙ × 10^exponent
 * where `digits` = "d₁d₂…dₙ" has no leading and no trailing zeros, so `exponent` is the power
 * of ten of the first significant digit. Zero is `{ sign: 0, digits: '', exponent: 0 }`.
 * Equal numbers have equal representations ("1.0", "1", "+1e0", "0.1E1" all give sign 1, "1", 0).
 */
export type DecimalNumber = { sign: -1 | 0 | 1; digits: string; exponent: number };

// The texts DynamoDB uses (confirmed in DynamoDB Local's ErrorFactory, dynalite's tests and
// captures of real DynamoDB quoted by other emulators' test suites).
export const numberNotNumericPrefix = 'The parameter cannot be converted to a numeric value: ';
export const numberOverflowMessage =
  'Number overflow. Attempting to store a number with magnitude larger than supported range';
export const numberUnderflowMessage =
  'Number underflow. Attempting to store a number with magnitude smaller than supported range';
export const numberPrecisionMessage = 'Attempting to store more than 38 significant digits in a Number';

// ---------------------------------------------------------------------------------------------
// Scanner. One pass over the text, no regex, no allocation; results land in these module-level
// slots (each worker thread has its own module instance, and nothing here is re-entrant).
let scanSign: -1 | 0 | 1 = 0;
/** Power of ten of the first significant digit. */
let scanExponent = 0;
/** Number of significant digits (first to last non-zero digit). */
let scanDigitCount = 0;
/** Text indices of the first and last significant digit, and of the '.' (or -1). */
let scanFirst = 0;
let scanLast = 0;
let scanDot = -1;
/** The text already is the canonical form canonicalNumber would produce. */
let scanCanonical = false;

/** Exponent digits beyond this saturate: such numbers are out of range anyway. */
const exponentSaturation = 1e9;

/**
 * Accepts what DynamoDB accepts (Java BigDecimal syntax): optional sign, digits with at most one
 * '.', at least one mantissa digit (".5" and "5." are fine), optional e/E, optional exponent sign,
 * at least one exponent digit. No whitespace, no NaN/Infinity, no hex.
 */
function scan(text: string): boolean {
  const length = text.length;
  let i = 0;
  let negative = false;
  let plus = false;
  if (length === 0) return false;
  let c = text.charCodeAt(0);
  if (c === 45 /* - */) {
    negative = true;
    i = 1;
  } else if (c === 43 /* + */) {
    plus = true;
    i = 1;
  }
  const mantissaStart = i;
  let dot = -1;
  let digitCount = 0;
  let integerDigits = 0;
  let first = -1;
  let last = -1;
  let firstOrdinal = 0;
  let lastOrdinal = 0;
  for (; i < length; i++) {
    c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (c !== 48) {
        if (first < 0) {
          first = i;
          firstOrdinal = digitCount;
        }
        last = i;
        lastOrdinal = digitCount;
      }
      digitCount++;
      if (dot < 0) integerDigits++;
    } else if (c === 46 /* . */ && dot < 0) {
      dot = i;
    } else {
      break;
    }
  }
  if (digitCount === 0) return false;
  const mantissaEnd = i;
  let exponent = 0;
  let hasExponent = false;
  if (i < length) {
    c = text.charCodeAt(i);
    if (c !== 101 /* e */ && c !== 69 /* E */) return false;
    hasExponent = true;
    i++;
    let exponentNegative = false;
    if (i < length) {
      c = text.charCodeAt(i);
      if (c === 45) {
        exponentNegative = true;
        i++;
      } else if (c === 43) {
        i++;
      }
    }
    if (i >= length) return false;
    for (; i < length; i++) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) return false;
      if (exponent < exponentSaturation) exponent = exponent * 10 + (c - 48);
    }
    if (exponentNegative) exponent = -exponent;
  }
  scanDot = dot;
  if (first < 0) {
    scanSign = 0;
    scanExponent = 0;
    scanDigitCount = 0;
    scanFirst = 0;
    scanLast = -1;
    scanCanonical = length === 1;
    return true;
  }
  scanSign = negative ? -1 : 1;
  scanExponent = integerDigits - 1 - firstOrdinal + exponent;
  scanDigitCount = lastOrdinal - firstOrdinal + 1;
  scanFirst = first;
  scanLast = last;
  if (plus || hasExponent) {
    scanCanonical = false;
  } else if (dot < 0) {
    scanCanonical = first === mantissaStart;
  } else {
    // "0.5", "12.5", "-0.05" are canonical; ".5", "5.", "00.5", "1.50" are not.
    const integerOk =
      first === mantissaStart || (integerDigits === 1 && text.charCodeAt(mantissaStart) === 48);
    scanCanonical = integerOk && dot > mantissaStart && last === mantissaEnd - 1 && last > dot;
  }
  return true;
}

function notNumeric(text: string): DynamoError {
  return validationError(numberNotNumericPrefix + text);
}

function checkScannedLimits(): void {
  if (scanSign === 0) return;
  if (scanExponent > numberExponentMax) throw validationError(numberOverflowMessage);
  if (scanExponent < numberExponentMin) throw validationError(numberUnderflowMessage);
  if (scanDigitCount > numberDigitsMax) throw validationError(numberPrecisionMessage);
}

/** The significant digits of the last scanned text, without the '.'. */
function scannedDigits(text: string): string {
  if (scanDot > scanFirst && scanDot < scanLast) {
    return text.slice(scanFirst, scanDot) + text.slice(scanDot + 1, scanLast + 1);
  }
  return text.slice(scanFirst, scanLast + 1);
}

// ---------------------------------------------------------------------------------------------

/** Validates a DynamoDB number string and returns it normalized; throws DynamoDB's ValidationException. */
export function parseNumber(text: string): DecimalNumber {
  if (!scan(text)) throw notNumeric(text);
  checkScannedLimits();
  if (scanSign === 0) return { sign: 0, digits: '', exponent: 0 };
  return { sign: scanSign, digits: scannedDigits(text), exponent: scanExponent };
}

/** Plain decimal text of a normalized number: no exponent, no leading/trailing zeros, "0" for zero. */
export function formatNumber(n: DecimalNumber): string {
  if (n.sign === 0) return '0';
  return formatPlain(n.sign < 0, n.digits, n.exponent);
}

function formatPlain(negative: boolean, digits: string, exponent: number): string {
  const count = digits.length;
  let body: string;
  if (exponent >= count - 1) {
    body = exponent === count - 1 ? digits : digits + '0'.repeat(exponent - count + 1);
  } else if (exponent < 0) {
    body = '0.' + '0'.repeat(-exponent - 1) + digits;
  } else {
    body = digits.slice(0, exponent + 1) + '.' + digits.slice(exponent + 1);
  }
  return negative ? '-' + body : body;
}

/**
 * The text DynamoDB returns for a stored number: plain decimal notation, leading and trailing
 * zeros removed, no '+', "-0" → "0" ("01.50" → "1.5", "1e2" → "100", "1E-3" → "0.001").
 * Validates like parseNumber. Returns `text` itself (no allocation) when it already is canonical.
 */
export function canonicalNumber(text: string): string {
  if (!scan(text)) throw notNumeric(text);
  checkScannedLimits();
  if (scanCanonical) return text;
  if (scanSign === 0) return '0';
  return formatPlain(scanSign < 0, scannedDigits(text), scanExponent);
}

/**
 * DynamoDB's storage size of a number in bytes. Measured DynamoDB behaviour (as reported by
 * emulators that bisected the 400 KB limit) matches a base-100 mantissa: one byte per pair of
 * digits aligned on the decimal point, with zero pairs at either end dropped, plus one byte of
 * exponent, plus one byte for a negative number (27 → 2, -27 → 3, 461 → 3, 1.5 → 3). This is
 * the Developer Guide's "1 byte per two significant digits + 1 byte", made exact. Zero is 1 byte.
 */
export function numberSizeBytes(text: string): number {
  if (!scan(text)) throw notNumeric(text);
  if (scanSign === 0) return 1;
  const lowExponent = scanExponent - scanDigitCount + 1;
  const pairs = Math.floor(scanExponent / 2) - Math.floor(lowExponent / 2) + 1;
  return 1 + pairs + (scanSign < 0 ? 1 : 0);
}

/** Exact comparison of two number strings: −1, 0 or 1. Throws on text that is not a number. */
export function compareNumbers(a: string, b: string): number {
  if (!scan(a)) throw notNumeric(a);
  const signA = scanSign;
  const exponentA = scanExponent;
  const firstA = scanFirst;
  const lastA = scanLast;
  if (!scan(b)) throw notNumeric(b);
  const signB = scanSign;
  if (signA !== signB) return signA < signB ? -1 : 1;
  if (signA === 0) return 0;
  let magnitude: number;
  if (exponentA !== scanExponent) {
    magnitude = exponentA < scanExponent ? -1 : 1;
  } else {
    magnitude = compareDigitRuns(a, firstA, lastA, b, scanFirst, scanLast);
  }
  return signA < 0 && magnitude !== 0 ? -magnitude : magnitude;
}

/** Compares the significant digits of two texts in place, skipping a '.' in either. */
function compareDigitRuns(a: string, i: number, endA: number, b: string, j: number, endB: number): number {
  for (;;) {
    if (i <= endA && a.charCodeAt(i) === 46) i++;
    if (j <= endB && b.charCodeAt(j) === 46) j++;
    const doneA = i > endA;
    const doneB = j > endB;
    if (doneA || doneB) return doneA === doneB ? 0 : doneA ? -1 : 1;
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (ca !== cb) return ca < cb ? -1 : 1;
    i++;
    j++;
  }
}

/** Exact a + b, canonical text; a result out of DynamoDB's range throws DynamoDB's ValidationException. */
export function addNumbers(a: string, b: string): string {
  return addSigned(a, b, false);
}

/** Exact a − b, canonical text; a result out of DynamoDB's range throws DynamoDB's ValidationException. */
export function subtractNumbers(a: string, b: string): string {
  return addSigned(a, b, true);
}

const bigTen = 10n;

function addSigned(a: string, b: string, negateB: boolean): string {
  if (!scan(a)) throw notNumeric(a);
  if (scanSign === 0) return negateB ? negate(canonicalNumber(b)) : canonicalNumber(b);
  const signA = scanSign;
  const digitsA = scannedDigits(a);
  const lowA = scanExponent - scanDigitCount + 1;
  if (!scan(b)) throw notNumeric(b);
  // (scan() reassigns scanSign; the cast stops TypeScript narrowing it from the check above.)
  if ((scanSign as number) === 0) return canonicalNumber(a);
  const signB = negateB ? -scanSign : scanSign;
  const digitsB = scannedDigits(b);
  const lowB = scanExponent - scanDigitCount + 1;

  // value = coefficient × 10^low; align both on the smaller low exponent and add as integers.
  const low = lowA < lowB ? lowA : lowB;
  let coefficientA = BigInt(digitsA);
  if (lowA > low) coefficientA *= bigTen ** BigInt(lowA - low);
  let coefficientB = BigInt(digitsB);
  if (lowB > low) coefficientB *= bigTen ** BigInt(lowB - low);
  const sum = (signA < 0 ? -coefficientA : coefficientA) + (signB < 0 ? -coefficientB : coefficientB);
  if (sum === 0n) return '0';
  const negative = sum < 0n;
  let digits = (negative ? -sum : sum).toString();
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  const resultLow = low + (digits.length - end);
  if (end !== digits.length) digits = digits.slice(0, end);
  const exponent = resultLow + digits.length - 1;
  // DynamoDB reports an inexact result (more than 38 digits) as an overflow too, not as a
  // precision error (observed on DynamoDB by ScyllaDB's Alternator tests: 1e50 + 1).
  if (exponent > numberExponentMax || digits.length > numberDigitsMax) {
    throw validationError(numberOverflowMessage);
  }
  if (exponent < numberExponentMin) throw validationError(numberUnderflowMessage);
  return formatPlain(negative, digits, exponent);
}

function negate(canonical: string): string {
  if (canonical === '0') return canonical;
  return canonical.charCodeAt(0) === 45 ? canonical.slice(1) : '-' + canonical;
}
