package detect

import "github.com/jikimi/jikimi/record"

// held is a record waiting in the reorder buffer.
type held struct {
	rec *record.Record
	t   int64
	seq uint64 // arrival
}

// before orders held records by time, then arrival.
func (x held) before(y held) bool { return x.t < y.t || x.t == y.t && x.seq < y.seq }

// reorderBuf holds records until they are evaluated, earliest first. Most
// sources send in time order, so a record no earlier than the last one
// queued joins a queue in arrival order, which stays sorted; only a late
// one goes to a heap. The earliest record is at the head of one of them.
type reorderBuf struct {
	queue []held // from head on, in time order
	head  int
	late  recHeap
}

func (b *reorderBuf) len() int { return len(b.queue) - b.head + len(b.late) }

func (b *reorderBuf) push(x held) {
	if n := len(b.queue); n == b.head || !x.before(b.queue[n-1]) {
		b.queue = append(b.queue, x)
		return
	}
	b.late.push(x)
}

// first returns the earliest record; the buffer must not be empty.
func (b *reorderBuf) first() held {
	if b.fromLate() {
		return b.late[0]
	}
	return b.queue[b.head]
}

// pop removes and returns the earliest record; the buffer must not be
// empty.
func (b *reorderBuf) pop() held {
	if b.fromLate() {
		return b.late.pop()
	}
	x := b.queue[b.head]
	b.queue[b.head] = held{}
	b.head++
	// Reuse the queue's storage once half of it is behind the head: it
	// never empties while records keep arriving.
	if b.head*2 >= len(b.queue) {
		n := copy(b.queue, b.queue[b.head:])
		clear(b.queue[n:])
		b.queue, b.head = b.queue[:n], 0
	}
	return x
}

func (b *reorderBuf) fromLate() bool {
	return len(b.late) > 0 && (b.head == len(b.queue) || b.late[0].before(b.queue[b.head]))
}

// recHeap is a binary min-heap of held records by (time, arrival).
type recHeap []held

func (h recHeap) less(i, j int) bool { return h[i].before(h[j]) }

func (h *recHeap) push(x held) {
	*h = append(*h, x)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *recHeap) pop() held {
	a := *h
	x := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = held{}
	a = a[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && a.less(l, m) {
			m = l
		}
		if r := l + 1; r < n && a.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return x
}
