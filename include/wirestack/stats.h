/*
 * wirestack: counters.
 *
 * Every packet the stack drops is counted under the reason it was dropped,
 * in the spirit of BSD's netstat -s.  Read them with ws_stack_stats(), and
 * name them with ws_stats_foreach().
 *
 * Each layer's counters are one list, WS_<LAYER>_STATS(X), with one
 * X(field, "description") per counter: the structs below are generated
 * from it, and so are the names and descriptions ws_stats_foreach() hands
 * out, so a counter cannot be added without a name and a description.
 * Descriptions are one line, lower case, without a final period, and read
 * after the number ("3 frames received").  The order is the order of the
 * fields, and of netstat -s: related counters together.
 */
#ifndef WIRESTACK_STATS_H
#define WIRESTACK_STATS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WS_ETHER_STATS(X) \
	X(ipackets, "frames received") \
	X(opackets, "frames sent") \
	X(tooshort, "frames shorter than an Ethernet header") \
	/* neither our MAC nor broadcast: */ \
	X(notforus, "frames for another MAC") \
	X(unknowntype, "frames with an unknown EtherType (802.3/LLC too)") \
	/* a group address as source: */ \
	X(badsrc, "frames from a multicast source address") \
	X(ownsrc, "own frames looped back by the capture") \
	X(oerrors, "frames refused by the device") \
	X(odropped, "frames not sent (no headroom, not an Ethernet device)")

#define WS_ARP_STATS(X) \
	X(rxtotal, "ARP packets received") \
	X(rxrequests, "requests received") \
	X(rxreplies, "replies received") \
	X(txrequests, "requests sent") \
	X(txreplies, "replies sent") \
	X(txannounce, "gratuitous announcements sent") \
	X(badlen, "packets with bad lengths") /* truncated or inconsistent */ \
	/* hardware/protocol type or length: */ \
	X(badtype, "packets not for Ethernet/IPv4") \
	X(badop, "packets neither request nor reply") \
	X(badaddr, "packets from a broadcast, multicast or our own address") \
	X(dupip, "packets claiming our address") \
	X(notforus, "packets for another address") \
	X(held, "packets held awaiting resolution") \
	X(holddrops, "packets dropped: hold queue full") \
	X(timeouts, "resolutions failed") \
	X(timeoutdrops, "packets dropped when resolution failed") \
	X(cachefull, "times no cache slot was free") \
	X(learned, "entries learned or updated") \
	X(changed, "neighbour MAC changes") \
	X(refreshes, "refresh requests for entries in use") \
	X(expired, "entries expired") \
	X(evicted, "entries evicted to make room") \
	X(unreach, "packets refused: resolution failed recently") \
	X(rxprobes, "RFC 5227 probes received") /* sender IP 0 */ \
	X(defends, "announcements defending our address") \
	X(badnexthop, "packets to an unresolvable next hop") \
	X(nomem, "packets not sent for lack of memory")

#define WS_IP4_STATS(X) \
	X(total, "total packets received") \
	X(tooshort, "packets shorter than a header") \
	X(badvers, "packets with a version other than 4") \
	/* IHL < 5 or past the frame: */ \
	X(badhlen, "packets with a bad header length") \
	/* inconsistent with the frame: */ \
	X(badlen, "packets with a bad total length") \
	X(badsum, "packets with a bad header checksum") \
	X(badoptions, "packets with malformed options") \
	X(badaddr, "packets with a martian address") \
	X(notforus, "packets for another address") \
	X(noproto, "packets for an unknown protocol") \
	X(delivered, "incoming packets delivered") /* to TCP or ICMP */ \
	X(fragments, "fragments received") \
	X(fragdropped, "fragments dropped") /* overlap, limits, bad */ \
	X(fragtimeout, "fragments dropped after timeout") \
	X(reassembled, "packets reassembled ok") \
	X(localout, "requests sent out") \
	X(noroute, "packets without a route") \
	X(toolong, "packets too large for the MTU with DF set") \
	X(odropped, "outgoing packets dropped") \
	X(fragdup, "duplicate fragments ignored") \
	X(fragoverlap, "packets dropped for overlapping fragments") \
	X(fragtoolong, "packets dropped: reassembled over 65535 bytes") \
	X(fraglimit, "fragments dropped: reassembly limits") \
	X(reassfail, "reassemblies failed") /* inconsistent fragments */ \
	X(reasstimeout, "reassemblies timed out") \
	X(fragmented, "packets fragmented ok") \
	X(ofragments, "fragments created") \
	X(srcroute, "source-routed packets dropped")

#define WS_ICMP_STATS(X) \
	X(total, "ICMP messages received") \
	X(tooshort, "messages too short") \
	X(badsum, "messages with a bad checksum") \
	X(badcode, "messages with an unknown type or code") \
	X(echo, "echo requests received") \
	X(echoreply, "echo replies sent") \
	X(unreach, "destination unreachable received") \
	X(fragneeded, "fragmentation needed received") \
	X(ratelimited, "replies suppressed by the rate limit") \
	X(outerrors, "error messages sent") /* port unreachable, ... */ \
	X(echoreply_rcvd, "echo replies received") \
	X(echo_sent, "echo requests sent") \
	X(timxceed, "time exceeded received") \
	X(paramprob, "parameter problems received") \
	X(badquote, "errors quoting a bad or foreign datagram") \
	X(ctlinput, "errors passed to TCP") \
	X(ignored, "messages ignored (redirect, ...)") \
	X(odropped, "messages not sent") /* no memory, no route */

#define WS_TCP_STATS(X) \
	X(connattempt, "active connection openings") \
	X(accepts, "passive connection openings") \
	X(connects, "connections established") \
	/* embryonic connections dropped: */ \
	X(conndrops, "failed connection attempts") \
	X(drops, "connections dropped") /* established connections dropped */ \
	X(closed, "connections closed") \
	X(rcvtotal, "segments received") \
	X(sndtotal, "segments sent out") \
	X(rcvshort, "segments shorter than a header") \
	/* data offset < 5 or past the segment: */ \
	X(rcvbadoff, "segments with a bad data offset") \
	X(rcvbadsum, "bad segments received (checksum)") \
	X(rcvbadopt, "segments with malformed options") \
	X(rcvnoport, "segments for no socket (answered with RST)") \
	X(rcvpack, "data segments received in sequence") \
	X(rcvbyte, "data bytes received in sequence") \
	X(rcvduppack, "duplicate segments received") \
	X(rcvdupbyte, "duplicate bytes received") \
	X(rcvoopack, "out-of-order segments queued") \
	X(rcvoobyte, "out-of-order bytes queued") \
	X(rcvoodrop, "out-of-order segments dropped (queue full)") \
	X(rcvpackafterwin, "segments with data beyond the window") \
	X(rcvafterclose, "segments with data after close") \
	X(rcvacktoomuch, "ACKs for unsent data") \
	X(rcvdupack, "duplicate ACKs received") \
	X(rcvwinprobe, "window probes received") \
	X(rcvwinupd, "window updates received") \
	X(rcvbadrst, "RSTs ignored (outside the window)") \
	X(rcvpawsdrop, "segments dropped by PAWS") \
	X(rcvurg, "urgent pointers received (RCV.UP moved)") \
	X(sndpack, "data segments sent") \
	X(sndbyte, "data bytes sent") \
	X(sndrexmitpack, "segments retransmitted") \
	X(sndrexmitbyte, "bytes retransmitted") \
	X(sndacks, "pure ACKs sent") \
	X(snddelack, "delayed ACKs sent") \
	X(sndprobe, "window probes sent") \
	X(sndwinupd, "window updates sent") \
	X(sndrst, "resets sent") \
	X(sndctrl, "control segments sent (SYN, FIN, RST)") \
	X(sndgso, "super-segments handed to segmentation offload") \
	X(sndgsosegs, "segments carried in super-segments") \
	X(sndurg, "segments sent with the urgent pointer") \
	X(listendrop, "SYNs to LISTEN sockets dropped (backlog full)") \
	X(timeoutdrop, "connections dropped by retransmit timeout") \
	X(keeptimeo, "keepalive timeouts") \
	X(keepprobe, "keepalive probes sent") \
	X(keepdrops, "connections dropped by keepalive") \
	X(persisttimeo, "persist timeouts") \
	X(persistdrop, "connections dropped in persist") \
	X(rexmttimeo, "retransmission timeouts") \
	X(segstimed, "segments timed for RTT") \
	X(rttupdated, "RTT samples taken") \
	X(challengeack, "challenge ACKs sent (RFC 5961)") \
	X(challengelimit, "challenge ACKs suppressed by the rate limit") \
	X(fastrexmit, "fast retransmits") \
	X(sackrecovery, "SACK recovery episodes") \
	X(rackdetect, "losses detected by RACK") \
	X(tlp, "tail loss probes sent") \
	X(spurious_undo, "spurious retransmissions undone (D-SACK)") \
	X(twreuse, "TIME_WAIT connections reused") /* RFC 6191 */ \
	X(nomem, "segments dropped for lack of memory or a limit") \
	X(rcvdrop, "segments dropped silently") /* tcp_input exit "drop" */ \
	/* exit "dropafterack": */ \
	X(rcvdropack, "segments dropped and answered with an ACK") \
	X(rcvdroprst, "segments dropped and answered with a RST") \
	X(rcvsack, "ACKs carrying SACK blocks") \
	X(rcvdsack, "D-SACK blocks received (RFC 2883)") \
	X(snddsack, "D-SACK blocks sent") \
	/* RFC 2018 section 8: */ \
	X(sackreneg, "times the peer discarded SACKed data") \
	X(limitedxmit, "limited transmit sends (RFC 3042)") \
	/* RFC 8985 section 7.4: */ \
	X(tlploss, "losses repaired by a tail loss probe") \
	X(pmtuupdate, "MSS reductions by ICMP (RFC 1191)") \
	X(sbfail, "SACK scoreboard allocation failures") \
	X(oowlimited, "ACKs to bad segments held back (rate limit)") \
	X(syncookies_sent, "SYN cookies sent") \
	X(syncookies_recv, "valid SYN cookies received") \
	X(syncookies_failed, "ACKs with a bad SYN cookie") \
	X(synbacklogdrop, "SYNs dropped: half-open queue full") \
	X(listenoverflow, "SYNs/ACKs dropped: accept queue full") \
	/* tcp_max_conns: */ \
	X(connlimit, "connections refused: connection limit") \
	/* tcp_mem_max: */ \
	X(memlimit, "buffer allocations refused: memory limit") \
	X(orphanlimit, "orphans reset: too many") /* tcp_max_orphans */ \
	/* tcp_orphan_retries: */ \
	X(orphandrop, "orphans dropped after their retries") \
	/* tcp_persist_max_ms: */ \
	X(persistlimit, "connections dropped: zero window too long") \
	/* HyStart++ (RFC 9406): */ \
	X(hystart_css, "slow starts left for CSS on a delay increase") \
	X(hystart_spurious, "CSS found spurious: back to slow start") \
	/* ECN (RFC 3168): */ \
	X(ecn_negotiated, "connections that negotiated ECN") \
	X(rcv_ce, "segments received with CE (congestion experienced)") \
	X(snd_cwr, "segments sent with CWR") \
	X(ecn_reductions, "cwnd reductions on ECE") \
	X(rcv_ece, "ACKs received with ECE")

/* Every counter is a uint64_t (the unit tests rely on it). */
#define WS_STATS_FIELD_(name, desc) uint64_t name;

struct ws_ether_stats {
	WS_ETHER_STATS(WS_STATS_FIELD_)
};

struct ws_arp_stats {
	WS_ARP_STATS(WS_STATS_FIELD_)
};

struct ws_ip4_stats {
	WS_IP4_STATS(WS_STATS_FIELD_)
};

struct ws_icmp_stats {
	WS_ICMP_STATS(WS_STATS_FIELD_)
};

struct ws_tcp_stats {
	WS_TCP_STATS(WS_STATS_FIELD_)
};

/*
 * The layers of struct ws_stats, in order: X(member, LIST), LIST being
 * the layer's WS_<LAYER>_STATS.
 */
#define WS_STATS_LAYERS(X) \
	X(ether, WS_ETHER_STATS) \
	X(arp, WS_ARP_STATS) \
	X(ip4, WS_IP4_STATS) \
	X(icmp, WS_ICMP_STATS) \
	X(tcp, WS_TCP_STATS)

/* A snapshot of all of a stack's counters. */
struct ws_stats {
	struct ws_ether_stats ether;
	struct ws_arp_stats arp;
	struct ws_ip4_stats ip4;
	struct ws_icmp_stats icmp;
	struct ws_tcp_stats tcp;
};

/* One counter, as ws_stats_foreach() and ws_link_stats_foreach() see it. */
struct ws_stat {
	const char *layer;   /* the member of struct ws_stats: "ether", "arp",
	                        "ip4", "icmp", "tcp"; "link" for a device */
	const char *name;    /* the field: "rcvtotal" */
	const char *desc;    /* what it counts: "segments received" */
	uint64_t value;
};

/* Returns 0 to go on, anything else to stop the walk. */
typedef int (*ws_stat_fn)(void *arg, const struct ws_stat *c);

/*
 * Call fn for every counter of s, zeros included: layer by layer in the
 * order of struct ws_stats, each layer in the order of its fields.
 * Returns 0, or the first non-zero value fn returned (the walk stops
 * there).
 */
int ws_stats_foreach(const struct ws_stats *s, ws_stat_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* WIRESTACK_STATS_H */
