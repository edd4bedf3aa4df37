/** A binary min-heap of (time, value) pairs: the simulator's pending job completions. */
export class MinHeap {
  private readonly times: number[] = [];
  private readonly values: number[] = [];

  get size(): number {
    return this.times.length;
  }

  peekTime(): number {
    return this.times.length > 0 ? this.times[0]! : Infinity;
  }

  push(time: number, value: number): void {
    const { times, values } = this;
    let i = times.length;
    times.push(time);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= time) break;
      times[i] = times[parent]!;
      values[i] = values[parent]!;
      i = parent;
    }
    times[i] = time;
    values[i] = value;
  }

  /** Removes the earliest entry and returns its value. */
  pop(): number {
    const { times, values } = this;
    const top = values[0]!;
    const lastTime = times.pop()!;
    const lastValue = values.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && times[right]! < times[left]! ? right : left;
        if (times[child]! >= lastTime) break;
        times[i] = times[child]!;
        values[i] = values[child]!;
        i = child;
      }
      times[i] = lastTime;
      values[i] = lastValue;
    }
    return top;
  }
}
