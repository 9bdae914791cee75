/*
 * wirestack: counters.
 *
 * Every packet the stack drops is counted under the reason it was dropped,
 * in the spirit of BSD's netstat -s.  Read them with ws_stack_stats().
 */
#ifndef WIRESTACK_STATS_H
#define WIRESTACK_STATS_H

#include <stdint.h>

struct ws_ether_stats {
	uint64_t ipackets;   /* frames received */
	uint64_t opackets;   /* frames sent */
	uint64_t tooshort;   /* shorter than an Ethernet header */
	uint64_t notforus;   /* destination neither our MAC nor broadcast */
	uint64_t unknowntype; /* EtherType we do not speak (802.3/LLC too) */
	uint64_t badsrc;     /* source is a group (multicast) address */
	uint64_t ownsrc;     /* our own frame, looped back by the capture */
	uint64_t oerrors;    /* device refused a frame */
	uint64_t odropped;   /* not sent: no headroom, or not an Ethernet device */
};

struct ws_arp_stats {
	uint64_t rxtotal;     /* ARP packets received */
	uint64_t rxrequests;  /* requests received */
	uint64_t rxreplies;   /* replies received */
	uint64_t txrequests;  /* requests sent */
	uint64_t txreplies;   /* replies sent */
	uint64_t txannounce;  /* gratuitous announcements sent */
	uint64_t badlen;      /* truncated or inconsistent lengths */
	uint64_t badtype;     /* hardware/protocol type or length not Ethernet/IPv4 */
	uint64_t badop;       /* neither request nor reply */
	uint64_t badaddr;     /* sender is broadcast/multicast/ours */
	uint64_t dupip;       /* someone else claims our address */
	uint64_t notforus;    /* targets another address */
	uint64_t held;        /* packets queued awaiting resolution */
	uint64_t holddrops;   /* dropped: hold queue full */
	uint64_t timeouts;    /* entries that failed to resolve */
	uint64_t timeoutdrops; /* packets dropped when resolution failed */
	uint64_t cachefull;   /* no cache slot free */
	uint64_t learned;     /* entries created or updated from input */
	uint64_t changed;     /* a neighbour's MAC changed */
	uint64_t refreshes;   /* unicast requests refreshing an entry in use */
	uint64_t expired;     /* entries timed out */
	uint64_t evicted;     /* entries evicted to make room */
	uint64_t unreach;     /* packets refused: resolution failed recently */
	uint64_t rxprobes;    /* RFC 5227 probes (sender IP 0) received */
	uint64_t defends;     /* announcements sent to defend our address */
	uint64_t badnexthop;  /* output to a next hop that cannot be resolved */
	uint64_t nomem;       /* could not allocate a packet to send */
};

struct ws_ip4_stats {
	uint64_t total;        /* datagrams received */
	uint64_t tooshort;     /* shorter than a minimal header */
	uint64_t badvers;      /* version != 4 */
	uint64_t badhlen;      /* IHL < 5 or past the frame */
	uint64_t badlen;       /* total length inconsistent with the frame */
	uint64_t badsum;       /* header checksum */
	uint64_t badoptions;   /* malformed options */
	uint64_t badaddr;      /* martian source or destination */
	uint64_t notforus;     /* destination is not our address */
	uint64_t noproto;      /* unknown protocol */
	uint64_t delivered;    /* handed to TCP or ICMP */
	uint64_t fragments;    /* fragments received */
	uint64_t fragdropped;  /* fragments dropped (overlap, limits, bad) */
	uint64_t fragtimeout;  /* fragments dropped when reassembly timed out */
	uint64_t reassembled;  /* datagrams reassembled */
	uint64_t localout;     /* datagrams sent */
	uint64_t noroute;      /* no next hop */
	uint64_t toolong;      /* too large for the MTU and DF set */
	uint64_t odropped;     /* could not send (no memory, device) */
	uint64_t fragdup;      /* duplicate fragments ignored */
	uint64_t fragoverlap;  /* datagrams dropped: overlapping fragments */
	uint64_t fragtoolong;  /* datagrams dropped: would exceed 65535 bytes */
	uint64_t fraglimit;    /* fragments dropped: datagram or byte limit */
	uint64_t reassfail;    /* datagrams dropped: inconsistent fragments */
	uint64_t reasstimeout; /* datagrams given up on (timeout) */
	uint64_t fragmented;   /* datagrams we sent in fragments */
	uint64_t ofragments;   /* fragments we sent */
	uint64_t srcroute;     /* source-routed datagrams dropped */
};

struct ws_icmp_stats {
	uint64_t total;        /* messages received */
	uint64_t tooshort;
	uint64_t badsum;
	uint64_t badcode;      /* unknown type or code */
	uint64_t echo;         /* echo requests received */
	uint64_t echoreply;    /* echo replies sent */
	uint64_t unreach;      /* destination unreachable received */
	uint64_t fragneeded;   /* fragmentation needed received */
	uint64_t ratelimited;  /* replies suppressed by the rate limit */
	uint64_t outerrors;    /* errors sent (port unreachable, ...) */
	uint64_t echoreply_rcvd; /* echo replies received */
	uint64_t echo_sent;    /* echo requests sent */
	uint64_t timxceed;     /* time exceeded received */
	uint64_t paramprob;    /* parameter problem received */
	uint64_t badquote;     /* error quoting a bad or foreign datagram */
	uint64_t ctlinput;     /* errors passed to TCP */
	uint64_t ignored;      /* valid types we do not act on (redirect, ...) */
	uint64_t odropped;     /* could not send (no memory, no route) */
};

struct ws_tcp_stats {
	uint64_t rcvtotal;       /* segments received */
	uint64_t rcvshort;       /* shorter than a TCP header */
	uint64_t rcvbadoff;      /* data offset < 5 or past the segment */
	uint64_t rcvbadsum;      /* checksum */
	uint64_t rcvbadopt;      /* malformed options */
	uint64_t rcvnoport;      /* no socket: answered with RST */
	uint64_t rcvpack;        /* in-sequence data segments */
	uint64_t rcvbyte;        /* in-sequence data bytes */
	uint64_t rcvduppack;     /* completely duplicate segments */
	uint64_t rcvdupbyte;
	uint64_t rcvoopack;      /* out-of-order segments kept */
	uint64_t rcvoobyte;
	uint64_t rcvoodrop;      /* out-of-order data dropped: reassembly full */
	uint64_t rcvpackafterwin; /* data beyond the window */
	uint64_t rcvafterclose;  /* data after the socket was closed */
	uint64_t rcvacktoomuch;  /* ACK for data not yet sent */
	uint64_t rcvdupack;      /* duplicate ACKs */
	uint64_t rcvwinprobe;    /* window probes received */
	uint64_t rcvwinupd;      /* window updates received */
	uint64_t rcvbadrst;      /* RSTs ignored (outside window) */
	uint64_t rcvpawsdrop;    /* dropped by PAWS */
	uint64_t sndtotal;       /* segments sent */
	uint64_t sndpack;        /* data segments sent */
	uint64_t sndbyte;
	uint64_t sndrexmitpack;  /* retransmitted segments */
	uint64_t sndrexmitbyte;
	uint64_t sndacks;        /* pure ACKs */
	uint64_t snddelack;      /* delayed ACKs sent */
	uint64_t sndprobe;       /* window probes */
	uint64_t sndwinupd;      /* window updates */
	uint64_t sndrst;         /* RSTs sent */
	uint64_t sndctrl;        /* SYN/FIN/RST */
	uint64_t sndgso;         /* super-segments handed to the device */
	uint64_t sndgsosegs;     /* segments they carried */
	uint64_t connattempt;    /* active opens */
	uint64_t accepts;        /* passive opens */
	uint64_t connects;       /* connections established */
	uint64_t conndrops;      /* embryonic connections dropped */
	uint64_t drops;          /* established connections dropped */
	uint64_t closed;         /* connections closed */
	uint64_t listendrop;     /* SYNs dropped: backlog full */
	uint64_t timeoutdrop;    /* dropped by retransmit timeout */
	uint64_t keeptimeo;      /* keepalive timeouts */
	uint64_t keepprobe;      /* keepalive probes sent */
	uint64_t keepdrops;      /* connections dropped by keepalive */
	uint64_t persisttimeo;   /* persist timer expirations */
	uint64_t persistdrop;    /* connections dropped in persist */
	uint64_t rexmttimeo;     /* retransmit timeouts */
	uint64_t segstimed;      /* segments timed for RTT */
	uint64_t rttupdated;     /* RTT samples taken */
	uint64_t challengeack;   /* RFC 5961 challenge ACKs sent */
	uint64_t challengelimit; /* challenge ACKs suppressed by the rate limit */
	uint64_t fastrexmit;     /* fast retransmits */
	uint64_t sackrecovery;   /* SACK-based recovery episodes */
	uint64_t rackdetect;     /* losses detected by RACK */
	uint64_t tlp;            /* tail loss probes sent */
	uint64_t spurious_undo;  /* spurious retransmissions undone (D-SACK) */
	uint64_t twreuse;        /* TIME_WAIT connections reused (RFC 6191) */
	uint64_t nomem;          /* dropped: no memory / limit reached */
	uint64_t rcvdrop;        /* segments dropped silently (exit "drop") */
	uint64_t rcvdropack;     /* dropped but ACKed ("dropafterack") */
	uint64_t rcvdroprst;     /* dropped and answered with RST */
	uint64_t rcvsack;        /* ACKs carrying SACK blocks */
	uint64_t rcvdsack;       /* D-SACK blocks received (RFC 2883) */
	uint64_t snddsack;       /* D-SACK blocks sent */
	uint64_t sackreneg;      /* peer discarded SACKed data (RFC 2018 8) */
	uint64_t limitedxmit;    /* RFC 3042 limited transmit sends */
	uint64_t tlploss;        /* losses repaired by a TLP (RFC 8985 7.4) */
	uint64_t pmtuupdate;     /* MSS lowered by ICMP (RFC 1191) */
	uint64_t sbfail;         /* SACK scoreboard out of memory */
	uint64_t oowlimited;     /* ACKs not sent to bad segments (rate) */
	uint64_t syncookies_sent;   /* SYN,ACKs carrying a SYN cookie */
	uint64_t syncookies_recv;   /* valid cookies: connections created */
	uint64_t syncookies_failed; /* ACKs to a listener with a bad cookie */
	uint64_t synbacklogdrop; /* SYNs dropped: half-open queue full */
	uint64_t listenoverflow; /* SYNs/ACKs dropped: accept queue full */
	uint64_t connlimit;      /* connections refused: tcp_max_conns */
	uint64_t memlimit;       /* buffer allocations refused: tcp_mem_max */
	uint64_t orphanlimit;    /* orphans reset: tcp_max_orphans */
	uint64_t orphandrop;     /* orphans dropped: tcp_orphan_retries */
	uint64_t persistlimit;   /* dropped: zero window past tcp_persist_max_ms */
};

/* A snapshot of all of a stack's counters. */
struct ws_stats {
	struct ws_ether_stats ether;
	struct ws_arp_stats arp;
	struct ws_ip4_stats ip4;
	struct ws_icmp_stats icmp;
	struct ws_tcp_stats tcp;
};

#endif /* WIRESTACK_STATS_H */
