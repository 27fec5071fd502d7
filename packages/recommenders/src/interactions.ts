/**
 * Interaction data: who rated or used what. External ids (strings or numbers, as the data has them)
 * map to dense indices `0..n-1`; the interactions are stored columnar in typed arrays, with
 * compressed-sparse-row views by user and by item built on demand.
 *
 * @example
 * ```ts
 * const data = Interactions.fromArrays({ users: ['ann', 'bob', 'ann'], items: [10, 10, 20], values: [4, 3, 5] });
 * data.numUsers; // 2
 * data.byUser().row(data.userIndex('ann')); // { indices: [0, 1], values: [4, 5] }
 * ```
 */
import { ShapeError, ValueError, describeValue } from '@plasticity/core';

/** An external user or item id as the data has it. */
export type Id = string | number;

/** A two-way map between external ids and dense indices `0..size-1`, in first-seen order. */
export class IdMap {
  private readonly toIndex = new Map<Id, number>();
  private readonly ids: Id[] = [];

  constructor(ids: Iterable<Id> = []) {
    for (const id of ids) this.add(id);
  }

  /** The index of `id`, adding it if it is new. */
  add(id: Id): number {
    let index = this.toIndex.get(id);
    if (index === undefined) {
      index = this.ids.length;
      this.toIndex.set(id, index);
      this.ids.push(id);
    }
    return index;
  }

  /** The index of `id`, or `undefined` if it is unknown. */
  index(id: Id): number | undefined {
    return this.toIndex.get(id);
  }

  /** Whether `id` has an index. */
  has(id: Id): boolean {
    return this.toIndex.has(id);
  }

  /** The external id at `index`. */
  id(index: number): Id {
    const id = this.ids[index];
    if (id === undefined) {
      throw new ValueError(`Index ${describeValue(index)} is out of range for an id map of size ${this.ids.length}.`, {
        field: 'index',
        value: index,
      });
    }
    return id;
  }

  /** The number of ids. */
  get size(): number {
    return this.ids.length;
  }

  /** All ids in index order. */
  toArray(): Id[] {
    return [...this.ids];
  }
}

/** Compressed sparse rows: row `r` holds `indices[indptr[r]..indptr[r+1])` and the same range of `values`. */
export class Csr {
  constructor(
    /** Row `r`'s entries are `indptr[r]..indptr[r+1]` (length `numRows + 1`). */
    readonly indptr: Int32Array,
    /** The column index of each entry, sorted within each row. */
    readonly indices: Int32Array,
    /** The value of each entry. */
    readonly values: Float32Array,
    /** The number of columns. */
    readonly numCols: number,
  ) {}

  /** The number of rows. */
  get numRows(): number {
    return this.indptr.length - 1;
  }

  /** Views (no copies) of row `r`'s column indices and values, sorted by column. */
  row(r: number): {
    /** Column indices of the row's stored entries, ascending. */
    indices: Int32Array;
    /** The entries' values, aligned with `indices`. */
    values: Float32Array;
  } {
    const start = this.indptr[r]!;
    const end = this.indptr[r + 1]!;
    return { indices: this.indices.subarray(start, end), values: this.values.subarray(start, end) };
  }

  /** The number of entries in row `r`. */
  rowLength(r: number): number {
    return this.indptr[r + 1]! - this.indptr[r]!;
  }

  /** Builds the CSR of a coordinate list; entries in a row are sorted by column. */
  static fromCoo(rows: Int32Array, cols: Int32Array, values: Float32Array, numRows: number, numCols: number): Csr {
    const indptr = new Int32Array(numRows + 1);
    for (let k = 0; k < rows.length; k++) indptr[rows[k]! + 1]!++;
    for (let r = 0; r < numRows; r++) indptr[r + 1]! += indptr[r]!;
    // Two stable counting sorts, O(n) with no comparisons: by column, then by row.
    const colStart = new Int32Array(numCols + 1);
    for (let k = 0; k < cols.length; k++) colStart[cols[k]! + 1]!++;
    for (let c = 0; c < numCols; c++) colStart[c + 1]! += colStart[c]!;
    const byCol = new Int32Array(rows.length);
    for (let k = 0; k < cols.length; k++) byCol[colStart[cols[k]!]!++] = k;
    const next = indptr.slice(0, numRows);
    const indices = new Int32Array(rows.length);
    const vals = new Float32Array(rows.length);
    for (let t = 0; t < byCol.length; t++) {
      const k = byCol[t]!;
      const at = next[rows[k]!]!++;
      indices[at] = cols[k]!;
      vals[at] = values[k]!;
    }
    return new Csr(indptr, indices, vals, numCols);
  }
}

/** What to do when the same (user, item) pair occurs more than once. */
export type DuplicatePolicy = 'last' | 'first' | 'mean' | 'sum' | 'error';

/** Parallel arrays of interactions for {@link Interactions.fromArrays}: one entry per (user, item) event. */
export interface InteractionArrays {
  /** The user id of each interaction. */
  users: ArrayLike<Id>;
  /** The item id of each interaction. */
  items: ArrayLike<Id>;
  /** Ratings (explicit) or weights such as play counts (implicit). Default: all 1 (implicit). */
  values?: ArrayLike<number>;
  /** Seconds (or any increasing unit) per interaction; used by temporal splits. */
  timestamps?: ArrayLike<number>;
}

/** How {@link Interactions.fromArrays} builds the set: duplicates, id maps, rating scale. */
export interface InteractionOptions {
  /**
   * Duplicate (user, item) pairs: keep the `'last'` (default: a later rating replaces an earlier
   * one, like re-rating a movie), the `'first'`, their `'mean'`, their `'sum'` (implicit counts), or
   * throw (`'error'`). The kept timestamp is the latest.
   */
  duplicates?: DuplicatePolicy;
  /** `[min, max]`: values outside it are rejected with an error naming the row. */
  ratingScale?: readonly [number, number];
  /** Reuse these id maps (e.g. the training set's), adding unseen ids at the end. */
  userIds?: IdMap;
  /** Reuse this item id map (e.g. the training set's), adding unseen ids at the end. */
  itemIds?: IdMap;
}

/**
 * An immutable set of interactions between users and items. Rows are unique (user, item) pairs
 * (see {@link InteractionOptions.duplicates}), kept in input order.
 */
export class Interactions {
  private userCsr?: Csr;
  private itemCsr?: Csr;
  private meanCache?: number;

  private constructor(
    /** User id ↔ index. */
    readonly userIds: IdMap,
    /** Item id ↔ index. */
    readonly itemIds: IdMap,
    /** Dense user index per interaction. */
    readonly users: Int32Array,
    /** Dense item index per interaction. */
    readonly items: Int32Array,
    /** Rating or weight per interaction. */
    readonly values: Float32Array,
    /** Timestamp per interaction, when the data has them. */
    readonly timestamps: Float64Array | undefined,
    /** The declared rating scale, when given. */
    readonly ratingScale: readonly [number, number] | undefined,
  ) {}

  /**
   * Builds interactions from parallel arrays.
   *
   * @throws ValueError on empty data, lengths that differ, NaN/Infinity or out-of-scale values, or
   *   duplicates under the `'error'` policy — each naming the row.
   */
  static fromArrays(data: InteractionArrays, options: InteractionOptions = {}): Interactions {
    const n = data.users.length;
    if (n === 0) {
      throw new ValueError('No interactions: the data is empty. Pass at least one (user, item) pair.', {
        field: 'users',
        value: n,
      });
    }
    for (const [name, column] of [
      ['items', data.items],
      ['values', data.values],
      ['timestamps', data.timestamps],
    ] as const) {
      if (column !== undefined && column.length !== n) {
        throw new ShapeError(`${name} has ${column.length} entries but users has ${n}; pass one per interaction.`, {
          expected: [n],
          actual: [column.length],
        });
      }
    }
    const scale = options.ratingScale;
    if (scale !== undefined && !(Number.isFinite(scale[0]) && Number.isFinite(scale[1]) && scale[0] < scale[1])) {
      throw new ValueError(`ratingScale must be [min, max] with min < max, got ${describeValue(scale)}.`, {
        field: 'ratingScale',
        value: scale,
      });
    }
    const policy = options.duplicates ?? 'last';
    const userIds = options.userIds ?? new IdMap();
    const itemIds = options.itemIds ?? new IdMap();
    const pairRow = new Map<number, number>();
    const counts: number[] = [];
    const us: number[] = [];
    const is: number[] = [];
    const vs: number[] = [];
    const ts: number[] = [];
    for (let k = 0; k < n; k++) {
      const value = data.values === undefined ? 1 : data.values[k]!;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ValueError(
          `Interaction ${k} (user ${describeValue(data.users[k])}, item ${describeValue(data.items[k])}) has ` +
            `value ${describeValue(value)}; values must be finite numbers. Drop or fix that row.`,
          { field: 'values', value },
        );
      }
      if (scale !== undefined && (value < scale[0] || value > scale[1])) {
        throw new ValueError(
          `Interaction ${k} (user ${describeValue(data.users[k])}, item ${describeValue(data.items[k])}) has ` +
            `rating ${value}, outside ratingScale [${scale[0]}, ${scale[1]}]. Fix the row or widen ratingScale.`,
          { field: 'values', value },
        );
      }
      const time = data.timestamps === undefined ? 0 : data.timestamps[k]!;
      if (data.timestamps !== undefined && !Number.isFinite(time)) {
        throw new ValueError(`Interaction ${k} has timestamp ${describeValue(time)}; timestamps must be finite.`, {
          field: 'timestamps',
          value: time,
        });
      }
      const u = userIds.add(checkId(data.users[k], 'users', k));
      const i = itemIds.add(checkId(data.items[k], 'items', k));
      // Pairs are keyed by u * 2^26 + i: exact for up to 2^26 items and 2^27 users.
      const key = u * 67108864 + i;
      const row = pairRow.get(key);
      if (row === undefined) {
        pairRow.set(key, us.length);
        us.push(u);
        is.push(i);
        vs.push(value);
        ts.push(time);
        counts.push(1);
        continue;
      }
      if (policy === 'error') {
        throw new ValueError(
          `Interaction ${k} repeats the pair (user ${describeValue(data.users[k])}, item ` +
            `${describeValue(data.items[k])}); pass duplicates: 'last' | 'first' | 'mean' | 'sum' to merge them.`,
          { field: 'duplicates', value: policy },
        );
      }
      if (policy === 'last') vs[row] = value;
      else if (policy === 'sum') vs[row]! += value;
      else if (policy === 'mean') vs[row]! += (value - vs[row]!) / ++counts[row]!;
      ts[row] = Math.max(ts[row]!, time);
    }
    return new Interactions(
      userIds,
      itemIds,
      Int32Array.from(us),
      Int32Array.from(is),
      Float32Array.from(vs),
      data.timestamps === undefined ? undefined : Float64Array.from(ts),
      scale,
    );
  }

  /** The number of (unique) interactions. */
  get size(): number {
    return this.users.length;
  }

  /** Users known to the id map (a subset may have no interactions). */
  get numUsers(): number {
    return this.userIds.size;
  }

  /** Items in the id map (with or without interactions). */
  get numItems(): number {
    return this.itemIds.size;
  }

  /** The mean of the values. */
  get globalMean(): number {
    if (this.meanCache === undefined) {
      let sum = 0;
      for (const v of this.values) sum += v;
      this.meanCache = sum / this.size;
    }
    return this.meanCache;
  }

  /** The dense index of a user id, or `undefined` when unknown. */
  userIndex(user: Id): number | undefined {
    return this.userIds.index(user);
  }

  /** The index of item `id`, or undefined when it is not in the id map. */
  itemIndex(item: Id): number | undefined {
    return this.itemIds.index(item);
  }

  /** Rows by user: columns are item indices. Built once, then cached. */
  byUser(): Csr {
    return (this.userCsr ??= Csr.fromCoo(this.users, this.items, this.values, this.numUsers, this.numItems));
  }

  /** Rows by item: columns are user indices. Built once, then cached. */
  byItem(): Csr {
    return (this.itemCsr ??= Csr.fromCoo(this.items, this.users, this.values, this.numItems, this.numUsers));
  }

  /**
   * The interactions at `rows` (indices into this set), sharing this set's id maps so indices stay
   * comparable between a split's parts.
   */
  subset(rows: ArrayLike<number>): Interactions {
    const pick = <T extends Int32Array | Float32Array | Float64Array>(source: T, make: (n: number) => T): T => {
      const out = make(rows.length);
      for (let k = 0; k < rows.length; k++) {
        const r = rows[k]!;
        if (!(r >= 0 && r < this.size && Number.isInteger(r))) {
          throw new ValueError(`Row ${describeValue(r)} is out of range for ${this.size} interactions.`, {
            field: 'rows',
            value: r,
          });
        }
        out[k] = source[r]!;
      }
      return out;
    };
    return new Interactions(
      this.userIds,
      this.itemIds,
      pick(this.users, (n) => new Int32Array(n)),
      pick(this.items, (n) => new Int32Array(n)),
      pick(this.values, (n) => new Float32Array(n)),
      this.timestamps === undefined ? undefined : pick(this.timestamps, (n) => new Float64Array(n)),
      this.ratingScale,
    );
  }

  /** The interactions as external-id records, e.g. for export. */
  *records(): IterableIterator<{
    /** The user's external id. */
    user: Id;
    /** The item's external id. */
    item: Id;
    /** The interaction's value (a rating, or an implicit weight). */
    value: number;
    /** The interaction's timestamp, when the data have timestamps. */
    timestamp?: number;
  }> {
    for (let k = 0; k < this.size; k++) {
      const record = {
        user: this.userIds.id(this.users[k]!),
        item: this.itemIds.id(this.items[k]!),
        value: this.values[k]!,
      };
      yield this.timestamps === undefined ? record : { ...record, timestamp: this.timestamps[k]! };
    }
  }
}

function checkId(id: Id | undefined, field: string, row: number): Id {
  if ((typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id.length > 0)) return id;
  throw new ValueError(
    `Interaction ${row} has ${field.slice(0, -1)} id ${describeValue(id)}; ids must be non-empty strings or finite numbers.`,
    { field, value: id },
  );
}
