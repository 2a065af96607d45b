import { describe, expect, it } from 'vitest';
import { versionParam } from '../../lib/fields.js';
import { holdsVersion, type Lineage, splitVersionItems, supersede, versionsPage } from '../../lib/versions/history.js';

const lineage = (value_version: number, history: number[]): Lineage => ({ value_version, history });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('supersede', () => {
  it('keeps every earlier value while fewer than MAX_VERSIONS are kept', () => {
    expect(supersede(lineage(1, []), 20)).toEqual({ history: [1], keepsPrevious: true, pruned: [] });
    expect(supersede(lineage(10, range(1, 9)), 20)).toEqual({ history: range(1, 10), keepsPrevious: true, pruned: [] });
    expect(supersede(lineage(19, range(1, 18)), 20)).toEqual({
      history: range(1, 19),
      keepsPrevious: true,
      pruned: [],
    });
  });

  it('prunes the oldest beyond MAX_VERSIONS, the new current value counted', () => {
    expect(supersede(lineage(20, range(1, 19)), 20)).toEqual({
      history: range(2, 20),
      keepsPrevious: true,
      pruned: [1],
    });
    // Numbers skip where a description-only change bumped the record.
    expect(supersede(lineage(9, [2, 5, 7]), 3)).toEqual({ history: [7, 9], keepsPrevious: true, pruned: [2, 5] });
  });

  it('keeps nothing but the current value when MAX_VERSIONS is 1', () => {
    expect(supersede(lineage(4, [3]), 1)).toEqual({ history: [], keepsPrevious: false, pruned: [3] });
  });

  it('prunes down to a lowered MAX_VERSIONS in one write', () => {
    expect(supersede(lineage(6, range(1, 5)), 2)).toEqual({ history: [6], keepsPrevious: true, pruned: range(1, 5) });
  });
});

describe('holdsVersion', () => {
  it('holds the current value and the kept ones, nothing else', () => {
    const kept = lineage(9, [2, 5]);
    expect([1, 2, 5, 8, 9, 10].filter((n) => holdsVersion(kept, n))).toEqual([2, 5, 9]);
  });
});

describe('versionsPage', () => {
  it('pages newest first, the current value first, with a cursor bound to the secret', () => {
    const kept = lineage(9, [2, 5, 7]);
    const first = versionsPage('ENV#e', 'API_KEY', kept, { limit: 2 });
    expect(first.versions).toEqual([9, 7]);
    const second = versionsPage('ENV#e', 'API_KEY', kept, { limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ versions: [5, 2], nextCursor: null });
    expect(() => versionsPage('ENV#e', 'OTHER', kept, { limit: 2, cursor: first.nextCursor! })).toThrow();
    expect(versionsPage('ENV#e', 'API_KEY', kept, { limit: 4 })).toEqual({ versions: [9, 7, 5, 2], nextCursor: null });
  });
});

describe('splitVersionItems', () => {
  it('puts what fits beside the fixed items in the transaction (100 in all) and the rest apart', () => {
    const changes = range(1, 99).map((n) => ({ transactItem: { Delete: { TableName: 't', Key: { n } } } }));
    const { inTransaction, apart } = splitVersionItems(7, changes);
    expect(inTransaction).toHaveLength(93);
    expect(apart.map((change) => change.transactItem.Delete.Key.n)).toEqual(range(94, 99));
    expect(splitVersionItems(5, changes.slice(0, 19))).toEqual({ inTransaction: changes.slice(0, 19), apart: [] });
  });
});

describe('versionParam', () => {
  it('reads a plain positive integer and nothing that merely coerces to one', () => {
    expect(versionParam.parse('1')).toBe(1);
    expect(versionParam.parse('42')).toBe(42);
    for (const junk of ['0', '01', '-1', '1.0', '1e0', '0x1', ' 1', '1 ', '', 'abc', '1234567890123456'])
      expect(versionParam.safeParse(junk).success, junk).toBe(false);
  });
});
