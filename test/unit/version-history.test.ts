import { describe, expect, it } from 'vitest';
import { versionParam } from '../../lib/fields.js';
import {
  holdsVersion,
  type KeptVersion,
  type Lineage,
  slotOf,
  splitVersionItems,
  supersede,
  versionsPage,
} from '../../lib/versions/history.js';

/** A lineage whose kept versions sit in slots 0, 1, 2… in the order given. */
const lineage = (value_version: number, versions: number[], slots = versions.map((_, i) => i)): Lineage => ({
  value_version,
  history: versions.map((version, i) => ({ version, slot: slots[i]! })),
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const versionsOf = (history: KeptVersion[]) => history.map((kept) => kept.version);

describe('supersede', () => {
  it('keeps every earlier value in a free slot while fewer than MAX_VERSIONS are kept', () => {
    expect(supersede(lineage(1, []), 20)).toEqual({
      history: [{ version: 1, slot: 0 }],
      superseded: { version: 1, slot: 0 },
      pruned: [],
    });
    const ten = supersede(lineage(10, range(1, 9)), 20);
    expect(versionsOf(ten.history)).toEqual(range(1, 10));
    expect(ten.superseded).toEqual({ version: 10, slot: 9 });
    expect(supersede(lineage(19, range(1, 18)), 20).pruned).toEqual([]);
    // The lowest free slot, wherever the gap is.
    expect(supersede(lineage(9, [4, 7], [0, 2]), 20).superseded).toEqual({ version: 9, slot: 1 });
  });

  it("at MAX_VERSIONS puts the superseded value in the oldest one's slot, writing one item and deleting none", () => {
    const full = supersede(lineage(20, range(1, 19)), 20);
    expect(versionsOf(full.history)).toEqual(range(2, 20));
    expect(full.superseded).toEqual({ version: 20, slot: 0 });
    expect(full.pruned).toEqual([]);
    // Numbers skip where a description-only change bumped the record.
    expect(supersede(lineage(9, [5, 7], [1, 0]), 3)).toEqual({
      history: [
        { version: 7, slot: 0 },
        { version: 9, slot: 1 },
      ],
      superseded: { version: 9, slot: 1 },
      pruned: [],
    });
  });

  it('keeps nothing but the current value when MAX_VERSIONS is 1', () => {
    expect(supersede(lineage(4, [3]), 1)).toEqual({ history: [], pruned: [0] });
  });

  it('prunes down to a lowered MAX_VERSIONS in one write, reusing one slot and deleting the rest', () => {
    expect(supersede(lineage(6, range(1, 5)), 2)).toEqual({
      history: [{ version: 6, slot: 0 }],
      superseded: { version: 6, slot: 0 },
      pruned: [1, 2, 3, 4],
    });
  });
});

describe('holdsVersion and slotOf', () => {
  it("hold the current value and the kept ones, and find a kept one's slot", () => {
    const kept = lineage(9, [2, 5], [3, 1]);
    expect([1, 2, 5, 8, 9, 10].filter((n) => holdsVersion(kept, n))).toEqual([2, 5, 9]);
    expect([2, 5, 9].map((n) => slotOf(kept, n))).toEqual([3, 1, undefined]);
  });
});

describe('versionsPage', () => {
  it('pages newest first, the current value first, with a cursor bound to the secret', () => {
    const kept = lineage(9, [2, 5, 7]);
    const first = versionsPage('API_KEY', kept, { limit: 2 });
    expect(first.versions).toEqual([9, 7]);
    const second = versionsPage('API_KEY', kept, { limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ versions: [5, 2], nextCursor: null });
    expect(() => versionsPage('OTHER', kept, { limit: 2, cursor: first.nextCursor! })).toThrow();
    expect(versionsPage('API_KEY', kept, { limit: 4 })).toEqual({ versions: [9, 7, 5, 2], nextCursor: null });
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
