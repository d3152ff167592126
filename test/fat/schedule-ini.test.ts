import { describe, expect, it } from 'vitest';
import { IniError, parseIni, readIni } from '../../src/fat/schedule/ini.js';

describe('INI reader (configparser subset)', () => {
  it('keeps sections and entries in file order, with line numbers', () => {
    const text = ['# a schedule', '[constants]', 'run_file = /x/run_00001.json', '', '[b]', 'Z: 5', 'a = 1', '10 = ten', '2 = two'].join(
      '\n',
    );
    const s = parseIni(text, 'f.ini');
    expect(s.map((x) => [x.name, x.line])).toEqual([
      ['constants', 2],
      ['b', 5],
    ]);
    // keys lower-cased, `key: value` understood, numeric keys not reordered
    expect(s[1].entries).toEqual([
      { key: 'z', value: '5', line: 6 },
      { key: 'a', value: '1', line: 7 },
      { key: '10', value: 'ten', line: 8 },
      { key: '2', value: 'two', line: 9 },
    ]);
  });

  it('splits at the first = or :, keeps inline comments, skips full-line comments', () => {
    const s = parseIni('[s]\nmessage = Ready? a=b ; not a comment\n  ; indented comment\n; comment\nurl: http://x:80\n', 'f.ini');
    expect(s[0].entries.map((e) => [e.key, e.value])).toEqual([
      ['message', 'Ready? a=b ; not a comment'],
      ['url', 'http://x:80'],
    ]);
  });

  it('appends indented continuation lines with newlines, keeping inner blank lines', () => {
    const s = parseIni('[s]\nmessage = line one\n   line two\n\n   line four\n\nnext = 1\n', 'f.ini');
    expect(s[0].entries[0]).toEqual({ key: 'message', value: 'line one\nline two\n\nline four', line: 2 });
    expect(s[0].entries[1]).toEqual({ key: 'next', value: '1', line: 7 });
  });

  it('reports every problem with file and line, not just the first', () => {
    const text = ['stray = 1', '[a]', 'x = 1', 'X = 2', 'not a pair', '[a]', 'y = 3', '= nokey'].join('\n');
    const r = readIni(text, 'fat_config.ini');
    expect(r.problems.map((p) => p.line)).toEqual([1, 4, 5, 6, 8]);
    expect(() => parseIni(text, 'fat_config.ini')).toThrow(IniError);
    let msg = '';
    try {
      parseIni(text, 'fat_config.ini');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('fat_config.ini line 1: "stray = 1" is outside any section');
    expect(msg).toContain('fat_config.ini line 4, [a] x: duplicate key (first at line 3)');
    expect(msg).toContain('fat_config.ini line 5, [a]: "not a pair" is not a "key = value" line');
    expect(msg).toContain('fat_config.ini line 6, [a]: duplicate section (first at line 2)');
  });
});
