import type { Instant } from './soak-clock';

/**
 * The highest value acknowledged so far, as it stood at any point of the run: entries are
 * kept in the order their responses arrived, each raising the value, so "what had been
 * acknowledged before this request was sent" is a binary search.
 */
export class RaisingHistory {
  private readonly entries: Array<{ at: Instant; value: number }> = [];

  /** An acknowledgement of `value` at `at`; ignored when an earlier one already said as much. */
  raise(at: Instant, value: number): void {
    let position = this.entries.length;
    while (position > 0 && this.entries[position - 1].at.seq > at.seq) position--;
    if (position > 0 && this.entries[position - 1].value >= value) return;
    let end = position;
    while (end < this.entries.length && this.entries[end].value <= value) end++;
    this.entries.splice(position, end - position, { at, value });
  }

  /** The value acknowledged before `seq` (undefined: nothing was). */
  before(seq: number): number | undefined {
    const index = this.lastIndexBefore(seq);
    return index < 0 ? undefined : this.entries[index].value;
  }

  /** When a value above `value` was first acknowledged, if that was before `seq`. */
  firstAbove(value: number, seq: number): Instant | undefined {
    const last = this.lastIndexBefore(seq);
    for (let i = 0; i <= last; i++) {
      if (this.entries[i].value > value) return this.entries[i].at;
    }
    return undefined;
  }

  private lastIndexBefore(seq: number): number {
    let low = 0;
    let high = this.entries.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.entries[mid].at.seq < seq) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }
}

/** Instants of acknowledgements that each add one (reviews), counted as of any point. */
export class CountingHistory {
  private readonly seqs: number[] = [];
  private readonly instants: Instant[] = [];

  add(at: Instant): void {
    let position = this.seqs.length;
    while (position > 0 && this.seqs[position - 1] > at.seq) position--;
    this.seqs.splice(position, 0, at.seq);
    this.instants.splice(position, 0, at);
  }

  /** How many were acknowledged before `seq`. */
  before(seq: number): number {
    let low = 0;
    let high = this.seqs.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.seqs[mid] < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The instant of the n-th acknowledgement (1-based). */
  nth(n: number): Instant | undefined {
    return this.instants[n - 1];
  }
}
