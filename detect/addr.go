package detect

import (
	"net/netip"
	"strings"

	"github.com/jikimi/jikimi/directory"
)

// addrIndex answers "whose assigned address is this?" without scanning
// every person: single addresses in a map, ranges in a list. The engine
// rebuilds it when the directory's people change (Engine.refreshAddrs).
type addrIndex struct {
	people []*directory.Person // built from, sorted by id
	exact  map[netip.Addr]*directory.Person
	ranges []addrRange
}

type addrRange struct {
	p   netip.Prefix
	who *directory.Person
}

func newAddrIndex(people []*directory.Person) *addrIndex {
	x := &addrIndex{people: people, exact: map[netip.Addr]*directory.Person{}}
	for _, p := range people {
		if p.Status == "departed" {
			continue
		}
		for _, s := range p.IPs {
			if strings.Contains(s, "/") {
				if pre, err := netip.ParsePrefix(s); err == nil {
					if pre.IsSingleIP() {
						x.add(pre.Addr(), p)
					} else {
						x.ranges = append(x.ranges, addrRange{pre.Masked(), p})
					}
				}
				continue
			}
			if a, err := netip.ParseAddr(s); err == nil {
				x.add(a, p)
			}
		}
	}
	return x
}

// add keeps the first person (by id) an address is assigned to, as
// directory.OwnerOfAddress does not promise an order either.
func (x *addrIndex) add(a netip.Addr, p *directory.Person) {
	a = a.Unmap()
	if _, ok := x.exact[a]; !ok {
		x.exact[a] = p
	}
}

func (x *addrIndex) owner(ip string) *directory.Person {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	if p := x.exact[a]; p != nil {
		return p
	}
	for _, r := range x.ranges {
		if r.p.Contains(a) {
			return r.who
		}
	}
	return nil
}
