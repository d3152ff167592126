/**
 * Text from a file or an instrument, safe to print on a terminal: control and non-ASCII bytes as
 * \xNN (\r and \n as such), cut to `max` characters with an ellipsis. A garbage line must not move
 * the cursor, ring the bell or switch the terminal's colours.
 */
export function printable(text: string, max = 120): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const shown = cut.replace(/[^\x20-\x7e]/g, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    const code = c.charCodeAt(0);
    return code < 0x100 ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16).padStart(4, '0');
  });
  return shown + (text.length > max ? '…' : '');
}
