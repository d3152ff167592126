import { InvalidArgumentError } from '@commander-js/extra-typings';

/** Option parsers that refuse what is not a number, naming the flag. */
export function intOption(flag: string) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${flag} needs a whole number, got "${v}"`);
    return Number(v);
  };
}

export function numberOption(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} needs a number, got "${v}"`);
    return n;
  };
}
