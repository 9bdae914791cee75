/*
 * TCP inside the stack: what the IPv4 layer and the stack call.  The TCP
 * implementation's own structures (struct tcpcb, ...) are declared below
 * this contract.
 */
#ifndef WS_TCP_VAR_H
#define WS_TCP_VAR_H

#include <stddef.h>
#include <stdint.h>

#include <wirestack/time.h>

#include "core/pkt.h"
#include "ipv4/ip4_var.h"

struct ws_stack;

int tcp_attach(struct ws_stack *st);
void tcp_detach(struct ws_stack *st);

/* A segment, p starting at the TCP header.  Consumes p. */
void tcp_input(struct ws_stack *st, struct pkt *p, const struct ip4_info *ip);

/*
 * An ICMP error about a segment we sent: `inner` describes the quoted IP
 * header, th/thlen the quoted bytes of our TCP header (at least 8).
 * type/code are ICMP's; nextmtu is from "fragmentation needed" (0 if none).
 */
void tcp_ctlinput(struct ws_stack *st, uint8_t type, uint8_t code,
    uint16_t nextmtu, const struct ip4_info *inner, const uint8_t *th,
    size_t thlen);

/* Run expired timers of every connection at st->now. */
void tcp_timer(struct ws_stack *st);
ws_time_t tcp_next_deadline(const struct ws_stack *st);


/* ---- Everything below is private to tcp/ (and to the unit tests). ---- */

#include <stdbool.h>
#include <sys/queue.h>

#include <wirestack/tcp.h>

#include "core/assembler.h"
#include "core/ring.h"
#include "tcp/tcp_fsm.h"
#include "tcp/tcp_iss.h"
#include "tcp/tcp_rtt.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_wire.h"

/*
 * Timers (absolute deadlines in tp->t_timer[], WS_TIME_NEVER = off), after
 * OpenBSD tcp_timer.h:
 *	REXMT	retransmission (RFC 6298), also the SYN/SYN-ACK retries;
 *	PERSIST	zero-window probes (RFC 9293 3.8.6.1) with backoff;
 *	KEEP	keep-alive probes (RFC 1122 4.2.3.6), and the connection
 *		establishment limit while the handshake runs;
 *	2MSL	TIME_WAIT (RFC 9293 3.10.7.4), and the FIN_WAIT_2 limit once
 *		the application has closed the socket;
 *	DELACK	delayed ACK (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3);
 *	PTO	RACK-TLP probe timeout: a tail loss probe (RFC 8985 7.2),
 *		always set to fire before REXMT;
 *	REO	RACK reordering window: re-run loss detection once the
 *		segments sent before the last delivered one have had their
 *		chance (RFC 8985 6.2 step 5).
 */
#define TCPT_REXMT 0
#define TCPT_PERSIST 1
#define TCPT_KEEP 2
#define TCPT_2MSL 3
#define TCPT_DELACK 4
#define TCPT_PTO 5     /* RFC 8985 7: tail loss probe timeout */
#define TCPT_REO 6     /* RFC 8985 6.2 step 5: RACK reordering timer */
#define TCPT_NTIMERS 7

#define TCP_MAXRXTSHIFT 15       /* data retransmissions before giving up */
#define TCP_SYN_RETRIES 7        /* SYN retransmissions: RFC 9293 MUST-23
                                    wants >= 3 minutes of SYNs */
#define TCP_SYNACK_RETRIES 6     /* SYN-ACK retransmissions (half-open) */
#define TCP_REXMT_GIVEUP_US (120 * WS_USEC_PER_SEC) /* total time limit */
#define TCP_R1_RETRIES 3         /* RFC 1122 4.2.3.5: R1 >= 3 retransmissions */
#define TCP_UTO_MAX_MS (24 * 3600 * 1000) /* WS_TCP_USER_TIMEOUT bound */
#define TCP_RTO_MAX_US_CFG (60 * WS_USEC_PER_SEC)   /* RTO cap (60 s) */
#define TCP_DELACK_US (40 * WS_USEC_PER_MSEC)       /* Linux's minimum */
#define TCP_PERSMIN_US (500 * WS_USEC_PER_MSEC)     /* persist backoff floor */
#define TCP_PERSMAX_US (60 * WS_USEC_PER_SEC)       /* and ceiling */
#define TCP_FIN2_US (60 * WS_USEC_PER_SEC)          /* orphan FIN_WAIT_2 */
#define TCP_DEFAULT_MSS 536      /* RFC 9293 3.7.1: no MSS option */
#define TCP_MIN_MSS 64           /* floor for a peer's silly MSS */
#define TCP_IW_SEGS 10           /* RFC 6928 initial window */
#define TCP_KEEPIDLE_S 7200      /* RFC 1122 4.2.3.6: >= 2 hours */
#define TCP_KEEPINTVL_S 75
#define TCP_KEEPCNT 9
#define TCP_CHALLENGE_ACK_LIMIT 10 /* RFC 5961 7: per second per stack */
#define TCP_MAX_WINSHIFT TCP_MAX_WSCALE
#define TCP_MAXWIN 65535         /* largest unscaled window */
#define TCP_DUPTHRESH 3          /* RFC 5681 3.2, RFC 6675 2 DupThresh */
#define TCP_WCDELACK_US (200 * WS_USEC_PER_MSEC) /* RFC 8985 7.2 WCDelAckT */
#define TCP_TLP_MIN_US (10 * WS_USEC_PER_MSEC)   /* floor of the PTO (Linux) */
#define TCP_SB_MINCAP 64         /* scoreboard records allocated at first */
#define TCP_SB_MAXCAP 65536      /* and at most (then the tail is merged) */
#define TCP_UNDO_LOG 16          /* retransmissions remembered for undo */
#define TCP_OOWACK_US (500 * WS_USEC_PER_MSEC) /* ACKs to bad segments */

/* tp->t_ecnflags (RFC 3168 6.1) */
#define TE_OK 0x01         /* negotiated: data is ECT, ECE/CWR mean ECN */
#define TE_SYNSENT 0x02    /* our SYN was ECN-setup (ECE|CWR) */
#define TE_SNDECE 0x04     /* a CE arrived: ECE on every ACK until CWR */
#define TE_SNDCWR 0x08     /* we reduced cwnd: CWR on the next new data */
#define TE_REDUCED 0x10    /* t_ecn_recover is set */

/* tp->t_flags */
#define TF_ACKNOW 0x00000001     /* ack peer immediately */
#define TF_DELACK 0x00000002     /* ack, but try to delay it */
#define TF_NODELAY 0x00000004    /* don't delay packets to coalesce (Nagle) */
#define TF_SENTFIN 0x00000008    /* have sent FIN */
#define TF_RCVD_SCALE 0x00000010 /* other side has requested scaling */
#define TF_REQ_SCALE 0x00000020  /* have/will request window scaling */
#define TF_RCVD_TSTMP 0x00000040 /* a timestamp was received in SYN */
#define TF_REQ_TSTMP 0x00000080  /* have/will request timestamps */
#define TF_SACK_PERMIT 0x00000100 /* other side said SACK is OK */
#define TF_REQ_SACK 0x00000200   /* we offer SACK */
#define TF_FASTRECOVERY 0x00000400 /* in NewReno fast recovery */
#define TF_NEEDFIN 0x00000800    /* send FIN once the send ring drains */
#define TF_KEEPALIVE 0x00001000  /* keep-alive probes enabled */
#define TF_PERSIST 0x00002000    /* persist probing in progress */
#define TF_FORCE 0x00004000      /* send one byte even into a zero window */
#define TF_DEAD 0x00008000       /* closed: freed once the handle is gone */
#define TF_HANDLE 0x00010000     /* the application holds the handle */
#define TF_CANTRCVMORE 0x00020000 /* SHUT_RD, or EOF delivered */
#define TF_CANTSENDMORE 0x00040000 /* SHUT_WR / close: no more sends */
#define TF_NOTIFY 0x00080000     /* readiness may have changed */
#define TF_WASCONNECTED 0x00100000 /* reached ESTABLISHED at least once */
#define TF_RCVDFIN 0x00200000    /* the peer's FIN was received (EOF) */
#define TF_FINOOO 0x00400000     /* a FIN arrived ahead of a hole: t_finseq */
#define TF_PASSIVE 0x00800000    /* born from a listener */
#define TF_LOSSRECOVERY 0x01000000 /* RTO recovery over the SACK scoreboard */
#define TF_RACK 0x02000000       /* RACK-TLP loss detection (RFC 8985) */
#define TF_DSACKPEND 0x04000000  /* a D-SACK block waits to be reported */
#define TF_REXMITNOW 0x08000000  /* RFC 6675 4.3: resend one segment now */
#define TF_ORPHAN 0x10000000     /* closed by the application, still live */
#define TF_MEMWAIT 0x20000000    /* a send failed on tcp_mem_max: notify */
#define TF_TSOK (TF_RCVD_TSTMP | TF_REQ_TSTMP)
#define TF_SCALEOK (TF_RCVD_SCALE | TF_REQ_SCALE)

struct tcpcb;

/*
 * Congestion control (RFC 5681) as a small table of operations, so other
 * algorithms (CUBIC, RFC 9438) can be plugged in per connection.
 */
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcpcb *tp);            /* connection established */
	/* new data acked outside recovery: grow cwnd (RFC 5681 3.1) */
	void (*ack)(struct tcpcb *tp, uint32_t acked);
	/* loss detected by duplicate ACKs: set ssthresh (RFC 5681 3.2) */
	void (*cong_signal)(struct tcpcb *tp);
	/* the ACK `ack` ended fast recovery: set cwnd (RFC 6582 3.2) */
	void (*post_recovery)(struct tcpcb *tp, uint32_t ack);
	void (*timeout)(struct tcpcb *tp);         /* RTO expired (RFC 5681 3.1) */
	/* the reduction was spurious (D-SACK): restore private state; the
	 * caller restores cwnd and ssthresh.  May be NULL. */
	void (*undo)(struct tcpcb *tp);
};

extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;

/*
 * HyStart++ (RFC 9406) state for the initial slow start, shared by the
 * algorithms (tcp_cc.c): the minimum RTT of this round and the last, and
 * the Conservative Slow Start phase it enters when delay grows.
 */
enum tcp_hystart_phase {
	HYSTART_OFF,            /* not used, or done: standard behaviour */
	HYSTART_SS,             /* slow start, watching the delay */
	HYSTART_CSS,            /* conservative slow start (RFC 9406 4.2) */
};

struct tcp_hystart {
	uint8_t phase;          /* enum tcp_hystart_phase */
	bool round;             /* window_end is defined */
	uint32_t window_end;    /* the round ends when this is acked */
	uint32_t last_min_us;   /* lastRoundMinRTT (UINT32_MAX: none) */
	uint32_t cur_min_us;    /* currentRoundMinRTT */
	uint32_t samples;       /* rttSampleCount */
	uint32_t css_base_us;   /* cssBaselineMinRtt */
	uint32_t css_rounds;    /* rounds spent in CSS */
};

/*
 * The SACK scoreboard (tcp_sack.c), after Linux's retransmit queue: one
 * record per transmitted segment, in sequence order, covering exactly
 * [snd_una, snd_max) once data has been sent.  SACK blocks, RACK loss
 * marks and retransmissions are flags on the records, so the pipe of
 * RFC 6675 is a sum of three counters.
 */
#define SBF_SACKED 0x01     /* the peer SACKed all of it (RFC 2018) */
#define SBF_LOST 0x02       /* deemed lost (RACK, RFC 6675 IsLost, RTO) */
#define SBF_RETRANS 0x04    /* a retransmission is in flight */
#define SBF_EVERRETRANS 0x08 /* sent more than once (RACK ambiguity) */

struct tcp_sbseg {
	uint32_t start, end;    /* [start, end) (a FIN counts as one) */
	ws_time_t xmit;         /* time of the latest transmission */
	uint16_t flags;         /* SBF_* */
	uint16_t nxmit;         /* transmissions so far */
	uint32_t xorder;        /* send order of the latest transmission */
};

struct tcp_scoreboard {
	struct tcp_sbseg *seg;  /* seg[head .. tail), NULL until first use */
	uint32_t head, tail;    /* live records */
	uint32_t cap;           /* allocated records */
	uint32_t sacked;        /* bytes SACKed */
	uint32_t nsacked;       /* records SACKed */
	uint32_t lost;          /* bytes lost and not SACKed */
	uint32_t retrans;       /* bytes retransmitted, not SACKed */
	uint32_t losthint;      /* no record below it is LOST && !RETRANS */
	uint32_t xorder;        /* last send order handed out */
	bool broken;            /* out of memory: behave as without SACK */
};

/* RACK-TLP state (RFC 8985 5.2, 7), tcp_rack.c. */
struct tcp_rack {
	ws_time_t xmit_ts;      /* RACK.xmit_ts: latest delivered send time */
	uint32_t end_seq;       /* RACK.end_seq */
	uint32_t xorder;        /* send order of that transmission */
	uint32_t rtt;           /* RACK.rtt, us */
	uint32_t min_rtt;       /* RACK.min_RTT (windowed), us; 0: none */
	ws_time_t min_rtt_at;   /* when min_rtt was taken */
	uint32_t fack;          /* RACK.fack: highest end delivered */
	uint32_t dsack_round;   /* RACK.dsack_round */
	uint32_t reo_wnd_mult;  /* RACK.reo_wnd_mult */
	uint32_t reo_wnd_persist; /* RACK.reo_wnd_persist */
	bool valid;             /* xmit_ts / end_seq set */
	bool dsack_round_set;
	bool reordering_seen;   /* RACK.reordering_seen */
	bool tlp_inflight;      /* TLP.end_seq defined */
	bool tlp_is_retrans;    /* TLP.is_retrans */
	uint32_t tlp_end_seq;   /* TLP.end_seq */
	uint32_t tlp_seq;       /* start of the probe (D-SACK match) */
};

/* What one ACK told the loss recovery (tcp_recovery.c). */
struct tcp_ackinfo {
	uint32_t ack;           /* SEG.ACK */
	uint32_t acked;         /* bytes newly acknowledged cumulatively */
	uint32_t sacked;        /* bytes newly SACKed */
	bool dsack;             /* carried a D-SACK block (RFC 2883) */
	struct tcp_sack_block dsblk; /* that block */
	bool ts;                /* carried a timestamp echo */
	uint32_t tsecr;
	bool dupack;            /* counts as a duplicate ACK */
	bool delivered;         /* something was acked or SACKed */
};

/*
 * One connection (the socket and its TCB are the same object: the public
 * struct ws_tcp is a struct tcpcb).  Grouped like OpenBSD's tcp_var.h.
 */
struct tcpcb {
	/* Linkage. */
	struct ws_stack *t_st;          /* the stack we belong to */
	TAILQ_ENTRY(tcpcb) t_list;      /* every tcpcb (timers, detach) */
	TAILQ_ENTRY(tcpcb) t_zq;        /* on sc->zombies (t_inzq) */
	bool t_inzq;
	LIST_ENTRY(tcpcb) t_hash;       /* 4-tuple or listen-port chain */
	bool t_hashed;                  /* on a hash chain */
	struct tcpcb *t_head;           /* listener we were born from */
	TAILQ_ENTRY(tcpcb) t_qe;        /* on the listener's t_q0 / t_q */
	bool t_inq;                     /* false: t_q0 (embryonic), true: t_q */
	TAILQ_HEAD(, tcpcb) t_q0;       /* listener: handshakes in progress */
	TAILQ_HEAD(, tcpcb) t_q;        /* listener: ready to accept */
	uint32_t t_q0len, t_qlen;       /* listener: lengths of both */
	uint32_t t_qlimit;              /* listener: backlog */
	TAILQ_ENTRY(tcpcb) t_nq;        /* on the stack's notify queue */
	bool t_innq;                    /* queued for a callback */
	struct tcpcb *t_aqnext;         /* on the stack's deferred-ACK list */
	bool t_inaq;                    /* an ACK waits for the batch end */
	uint32_t t_heapidx;             /* timer heap slot + 1, 0: not in it */
	ws_time_t t_heapkey;            /* its key (tcp_theap.c) */

	/* Endpoints, host order. */
	uint32_t t_laddr, t_faddr;      /* local / foreign address */
	uint16_t t_lport, t_fport;      /* local / foreign port */

	int t_state;                    /* TCPS_* */
	uint32_t t_flags;               /* TF_* */
	ws_time_t t_timer[TCPT_NTIMERS]; /* absolute deadlines */
	uint32_t t_rxtshift;            /* retransmissions so far (backoff) */
	ws_time_t t_rxtstart;           /* first retransmission of this episode */
	uint32_t t_persistshift;        /* persist backoff */
	uint32_t t_persistprobes;       /* zero-window probes unanswered */
	uint32_t t_persistn;            /* probes in this zero-window episode */
	ws_time_t t_persiststart;       /* when the episode began */
	uint32_t t_keepcnt;             /* unanswered keep-alive probes */
	ws_time_t t_rcvtime;            /* last segment received (keep-alive) */
	ws_time_t t_oowack;             /* last ACK to an unacceptable segment */

	/* Send sequence variables (RFC 9293 3.3.1). */
	uint32_t snd_una;               /* oldest unacknowledged */
	uint32_t snd_nxt;               /* next to send */
	uint32_t snd_max;               /* highest sequence sent + 1 */
	uint32_t snd_wl1;               /* seq of last window update */
	uint32_t snd_wl2;               /* ack of last window update */
	uint32_t iss;                   /* initial send sequence number */
	uint32_t snd_wnd;               /* peer's window, bytes (scaled) */
	uint32_t max_sndwnd;            /* largest window the peer offered */
	uint32_t snd_up;                /* SND.UP: one past our urgent data */
	bool t_sndurg;                  /* urgent mode: SND.UP not yet acked */

	/* Receive sequence variables (RFC 9293 3.3.1). */
	uint32_t rcv_nxt;               /* next expected */
	uint32_t rcv_wnd;               /* receive window (free ring space) */
	uint32_t rcv_adv;               /* right edge we advertised */
	uint32_t irs;                   /* initial receive sequence number */
	uint32_t t_finseq;              /* sequence of an out-of-order FIN */
	uint32_t rcv_up;                /* RCV.UP: one past the peer's urgent
					 * data (RFC 9293 3.8.5, MUST-62) */
	bool t_rcvurg;                  /* rcv_up is ahead of the reader */

	/* Options (RFC 9293 3.7.1, RFC 7323, RFC 2018). */
	uint32_t t_maxseg;              /* MSS we send with (data bytes) */
	uint32_t t_peermss;             /* MSS the peer announced */
	uint32_t t_ourmss;              /* MSS we announced */
	uint32_t t_mssclamp;            /* WS_TCP_MAXSEG, 0: none */
	uint8_t snd_scale;              /* shift applied to the peer's window */
	uint8_t rcv_scale;              /* shift applied to our window */
	uint8_t request_r_scale;        /* our pending window scale */
	uint8_t requested_s_scale;      /* the peer's pending window scale */
	uint32_t ts_recent;             /* RFC 7323: timestamp to echo */
	ws_time_t ts_recent_age;        /* when ts_recent was taken */
	uint32_t ts_offset;             /* secret offset of our TSval clock */
	uint32_t last_ack_sent;         /* RFC 7323 4.3: ack of our last seg */
	/* Receiver side of SACK (RFC 2018 4, RFC 2883). */
	uint32_t t_nsackrec;            /* entries in t_sackrec */
	uint32_t t_sackrec[ASM_MAX_BLOCKS]; /* out-of-order arrivals, newest
					 * first: reported in this order */
	struct tcp_sack_block t_dsack;  /* TF_DSACKPEND: duplicate to report */

	/* Congestion control (RFC 5681, RFC 6582). */
	const struct tcp_cc_ops *t_cc;  /* algorithm */
	uint32_t snd_cwnd;              /* congestion window, bytes */
	uint32_t snd_ssthresh;          /* slow start threshold, bytes */
	uint32_t snd_recover;           /* NewReno: snd_max at loss (RFC 6582) */
	uint32_t t_dupacks;             /* consecutive duplicate ACKs */
	uint32_t t_cabytes;             /* congestion avoidance byte counter */
	uint32_t t_partialacks;         /* RFC 6582: partial ACKs so far */
	bool t_nohystart;               /* WS_TCP_HYSTART 0: plain slow start */
	struct tcp_hystart t_hystart;   /* RFC 9406 */
	uint64_t t_ccpriv[8];           /* algorithm private state */

	/* Loss recovery (RFC 6675, RFC 8985, RFC 2883 undo). */
	struct tcp_scoreboard t_sb;     /* sent segments and their fate */
	struct tcp_rack t_rack;         /* RACK-TLP */
	uint32_t t_highrxt;             /* RFC 6675 HighRxt */
	uint32_t t_rescuerxt;           /* RFC 6675 RescueRxt */
	bool t_rescue_set;              /* RescueRxt defined */
	uint32_t t_limited;             /* RFC 3042: segments sent so */
	/* RFC 6937 PRR: the cwnd reduction of a SACK fast recovery. */
	uint32_t t_prr_delivered;       /* prr_delivered */
	uint32_t t_prr_rexmit;          /* bytes resent in it (prr_out ...) */
	uint32_t t_prr_sndmax;          /* ... plus new data past this */
	uint32_t t_prr_recoverfs;       /* RecoverFS */
	uint32_t t_prr_sacked;          /* t_sb.sacked at the last ACK */
	uint32_t t_prior_cwnd;          /* before the last reduction (undo) */
	uint32_t t_prior_ssthresh;
	bool t_undo_ok;                 /* the reduction may still be undone */
	uint32_t t_undo_retrans;        /* retransmissions not D-SACKed */
	uint32_t t_undo_n;              /* entries in t_undo_log */
	struct tcp_sack_block t_undo_log[TCP_UNDO_LOG]; /* what was resent */

	/* Round-trip timing (RFC 6298). */
	struct tcp_rtt t_rtt;           /* estimator */
	ws_time_t t_rtttime;            /* when t_rtseq was sent, 0: none */
	uint32_t t_rtseq;               /* sequence number being timed */

	/* The socket side. */
	struct ring t_sndring;          /* unacked + unsent data from snd_una */
	struct ring t_rcvring;          /* in-order unread data, then holes */
	struct assembler t_asm;         /* out-of-order blocks past rcv_nxt */
	uint32_t t_sndbuf, t_rcvbuf;    /* ring capacities */
	int t_softerror;                /* pending asynchronous error */
	ws_tcp_event_fn t_cb;           /* readiness callback */
	void *t_cbarg;                  /* its argument */
	void *t_userdata;               /* ws_tcp_set_userdata() */
	unsigned t_lastev;              /* events at the last callback */
	uint32_t t_keepidle, t_keepintvl; /* seconds */
	uint32_t t_keepcntmax;          /* probes before giving up */
	int t_lastsoft;                 /* last soft error (MUST-47), 0: none */
	bool t_nosofterr;               /* WS_TCP_SOFTERRORS 0 (SHLD-20) */
	uint8_t t_tos;                  /* IP TOS of our segments (MUST-48),
					 * ECN bits 0 */
	/* ECN (RFC 3168 6.1). */
	uint8_t t_ecnmode;              /* WS_TCP_ECN_* */
	uint8_t t_ecnflags;             /* TE_* */
	uint32_t t_ecn_recover;         /* snd_max at the last reduction on
					 * ECE: none again until an ACK
					 * passes it (once per window) */
	uint8_t t_ttl;                  /* IP TTL, 0: IP's default (MUST-49) */
	uint64_t t_uto;                 /* user timeout (R2, MUST-21), us; 0:
					 * the retry limits */
	ws_time_t t_uastart;            /* the REXMT timer has been timing the
					 * oldest unacked data since;
					 * WS_TIME_NEVER: nothing waits */

	/* Per-connection statistics (ws_tcp_info). */
	uint64_t t_bytes_sent;          /* new data bytes sent */
	uint64_t t_bytes_acked;         /* data bytes acknowledged */
	uint64_t t_bytes_received;      /* in-order data bytes received */
	uint64_t t_retransmits;         /* segments retransmitted */
	uint64_t t_rtos;                /* retransmission timeouts */
	uint64_t t_fastrexmits;         /* recoveries by duplicate ACKs/RACK */
	uint64_t t_sackrecoveries;      /* of which SACK-based */
	uint64_t t_rackdetects;         /* segments RACK declared lost */
	uint64_t t_tlps;                /* tail loss probes */
	uint64_t t_undos;               /* reductions undone (spurious) */
	uint64_t t_dsacks;              /* D-SACK blocks received */
};

/* Per-stack TCP state (st->tcp). */
LIST_HEAD(tcp_chain, tcpcb);
struct tcp_softc {
	struct tcp_chain *hash;         /* connections by 4-tuple */
	uint32_t hashmask;              /* buckets - 1 */
	struct tcp_chain listen[64];    /* listeners by local port */
	TAILQ_HEAD(, tcpcb) all;        /* every tcpcb */
	uint32_t nconns;                /* tcpcbs alive (all states) */
	uint8_t iss_key[TCP_ISS_KEYLEN]; /* RFC 6528 secret */
	ws_time_t chack_second;         /* start of the challenge-ACK second */
	uint32_t chack_count;           /* challenge ACKs in that second */
	bool iss_forced;                /* test hook: next ISS is iss_force */
	uint32_t iss_force;
	TAILQ_HEAD(, tcpcb) notifyq;    /* callbacks to run at the end */
	struct tcpcb *ackq;             /* ACKs deferred to the batch end */
	struct tcpcb **theap;           /* timer min-heap (tcp_theap.c) */
	uint32_t theapn, theapcap;      /* entries, room */
	bool theap_lost;                /* out of memory: scan, then rebuild */
	bool inbatch;                   /* inside a batch of received frames */
	TAILQ_HEAD(, tcpcb) zombies;    /* dead, unheld: tcp_reap frees them */
	uint32_t norphans;              /* TF_ORPHAN connections */
	uint64_t mem;                   /* buffer bytes charged (tcp_mem_max) */
	uint32_t nmemwait;              /* TF_MEMWAIT connections */
	uint8_t cookie_key[TCP_ISS_KEYLEN]; /* SYN cookie secret */
	ws_time_t cookie_last;          /* last cookie sent, 0: never */
	struct tcp_gso {                /* super-segment being built */
		struct tcpcb *tp;       /* whose; NULL: none */
		struct pkt *p;          /* payload so far */
		uint8_t hdr[TCP_HDR_MAX]; /* the first segment's header */
		uint32_t hlen;
		uint32_t next_seq;      /* where the next segment must start */
		uint32_t seglen;        /* payload bytes per segment */
		uint32_t nsegs;
		uint32_t room;          /* payload bytes the device takes */
		bool closed;            /* a short or PSH segment ended it */
		uint32_t depth;         /* tcp_output() nesting; 0: off */
		uint8_t tos;            /* IP TOS of its segments (ECT) */
	} gso;
};

/*
 * A dead tcpcb nobody holds waits on sc->zombies for tcp_reap, so that
 * reaping costs nothing per live connection (10,000 closing at once
 * would otherwise make it quadratic).
 */
void tcp_zombie_add(struct tcpcb *tp);
void tcp_zombie_remove(struct tcpcb *tp);

static inline struct tcpcb *
sototcpcb(const struct ws_tcp *s)
{
	return (struct tcpcb *)(uintptr_t)s;
}

static inline struct ws_tcp *
tcpcbtoso(struct tcpcb *tp)
{
	return (struct ws_tcp *)tp;
}

/* Sequence numbers in the send ring: data starts after the SYN. */
static inline uint32_t
tcp_snd_data_start(const struct tcpcb *tp)
{
	/* While our SYN is unacknowledged it occupies snd_una. */
	return tp->snd_una + (tp->t_state == TCPS_SYN_SENT ||
	    tp->t_state == TCPS_SYN_RECEIVED ? 1 : 0);
}

/* The sequence number of the next byte the application will read. */
static inline uint32_t
tcp_rcv_readseq(const struct tcpcb *tp)
{
	/* RCV.NXT counts a received FIN, which is not in the ring. */
	return tp->rcv_nxt - ring_len(&tp->t_rcvring) -
	    ((tp->t_flags & TF_RCVDFIN) ? 1 : 0);
}

/*
 * Bytes the application has to read up to and including the last urgent
 * octet (RFC 9293 3.8.5 MUST-33), 0 when no urgent data is pending.
 */
static inline uint32_t
tcp_urg_left(const struct tcpcb *tp)
{
	uint32_t r = tcp_rcv_readseq(tp);

	return tp->t_rcvurg && SEQ_GT(tp->rcv_up, r) ? tp->rcv_up - r : 0;
}

/* tcp_subr.c */
struct tcpcb *tcp_newtcpcb(struct ws_stack *st);
void tcp_hash_insert(struct tcpcb *tp);
void tcp_hash_remove(struct tcpcb *tp);
struct tcpcb *tcp_lookup(struct ws_stack *st, uint32_t laddr, uint16_t lport,
    uint32_t faddr, uint16_t fport);
struct tcpcb *tcp_lookup_listen(struct ws_stack *st, uint16_t lport);
bool tcp_port_inuse(struct ws_stack *st, uint16_t lport);
uint32_t tcp_new_iss(struct ws_stack *st, const struct tcpcb *tp);
void tcp_set_iss(struct ws_stack *st, uint32_t iss); /* test hook */
void tcp_close(struct tcpcb *tp);
void tcp_drop(struct tcpcb *tp, int error);
void tcp_reap(struct ws_stack *st);
void tcp_freetcpcb(struct tcpcb *tp);
void tcp_respond(struct ws_stack *st, const struct tcpcb *tp,
    uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport,
    uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win);
void tcp_ip_out(const struct tcpcb *tp, uint32_t laddr, uint32_t faddr,
    struct ip4_out *o);
void tcp_soft_error(struct tcpcb *tp, int error);
void tcp_notify(struct tcpcb *tp);
void tcp_deliver(struct ws_stack *st);
unsigned tcp_events(const struct tcpcb *tp);
uint32_t tcp_tsnow(const struct tcpcb *tp);
void tcp_set_tsoffset(struct tcpcb *tp);
void tcp_mss_update(struct tcpcb *tp, int peermss);
uint32_t tcp_mss_ours(const struct tcpcb *tp);
void tcp_established(struct tcpcb *tp);
bool tcp_challenge_ok(struct ws_stack *st);
void tcp_timer_arm(struct tcpcb *tp, int which, uint64_t us);
void tcp_timer_disarm(struct tcpcb *tp, int which);
void tcp_canceltimers(struct tcpcb *tp);
void tcp_set_persist(struct tcpcb *tp);
uint32_t tcp_tsnow_addr(struct ws_stack *st, uint32_t laddr, uint32_t faddr);
uint8_t tcp_wscale_for(uint32_t buf);
void tcp_orphan_done(struct tcpcb *tp);
void tcp_child_init(struct tcpcb *lp, struct tcpcb *tp, uint32_t laddr,
    uint16_t lport, uint32_t faddr, uint16_t fport);

/*
 * Buffer memory of all connections against cfg.tcp_mem_max (tcp_subr.c).
 * Rings allocate their whole capacity at the first write; these wrappers
 * charge it before and give it back when the storage goes.
 */
bool tcp_mem_charge(struct ws_stack *st, size_t bytes);
void tcp_mem_uncharge(struct ws_stack *st, size_t bytes);
bool tcp_mem_avail(const struct ws_stack *st, size_t bytes);
int tcp_ring_reserve(struct tcpcb *tp, struct ring *r);
void tcp_ring_fini(struct tcpcb *tp, struct ring *r);
void tcp_ring_release(struct tcpcb *tp, struct ring *r);
void tcp_ring_set_cap(struct tcpcb *tp, struct ring *r, uint32_t cap);

/*
 * SYN cookies (tcp_syncookie.c, RFC 4987 3.6).  The cookie is our ISN:
 *	ISN = H(key, 4-tuple, peer ISN, time slot, MSS index, option bits)
 *	      with its low 3 bits replaced by the MSS index,
 * H SipHash-2-4 and a slot TCP_SYNCOOKIE_PERIOD_US long; it is good in
 * the slot it was made in and the next.  With timestamps, the peer's
 * window scale and SACK-permitted ride in the low TCP_SC_TSBITS bits of
 * our TSval (as Linux does) and are covered by the hash through the echo.
 */
#define TCP_SYNCOOKIE_PERIOD_US (64 * WS_USEC_PER_SEC)
#define TCP_SC_NMSS 8
#define TCP_SC_TSBITS 6
#define TCP_SC_TSMASK 0x3fu
#define TCP_SC_WS_NONE 0xfu       /* no window scale */
#define TCP_SC_SACK 0x10u         /* SACK permitted */
#define TCP_SC_ECN 0x20u          /* never set: cookie connections go
                                     without ECN (RFC 3168 6.1.1 lets the
                                     SYN-ACK decline it) */
extern const uint16_t tcp_sc_msstab[TCP_SC_NMSS];
uint32_t tcp_sc_mssidx(uint32_t peermss);
uint32_t tcp_sc_tsbits(int wscale, bool sack);
uint32_t tcp_sc_tsval(uint32_t tsnow, uint32_t bits);
uint32_t tcp_syncookie_make(const uint8_t key[TCP_ISS_KEYLEN],
    uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport,
    uint32_t irs, ws_time_t now, uint32_t mssidx, uint32_t optbits);
int tcp_syncookie_check(const uint8_t key[TCP_ISS_KEYLEN],
    uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport,
    uint32_t irs, ws_time_t now, uint32_t cookie, uint32_t optbits);
void tcp_syncookie_send(struct ws_stack *st, struct tcpcb *lp,
    uint32_t laddr, uint32_t faddr, const struct tcp_hdr *th);
int tcp_syncookie_accept(struct ws_stack *st, struct tcpcb *lp,
    uint32_t laddr, uint32_t faddr, const struct tcp_hdr *th,
    struct tcpcb **out);

/* tcp_output.c */
int tcp_output(struct tcpcb *tp);
bool tcp_ack_defer(struct tcpcb *tp);
void tcp_ack_unqueue(struct tcpcb *tp);
void tcp_batch_begin(struct ws_stack *st);
void tcp_batch_end(struct ws_stack *st);
bool tcp_theap_rebuild(struct ws_stack *st);
void tcp_theap_sched(struct tcpcb *tp, ws_time_t at);
void tcp_theap_resched(struct tcpcb *tp);
void tcp_theap_remove(struct tcpcb *tp);
struct tcpcb *tcp_theap_expired(struct ws_stack *st);
ws_time_t tcp_theap_next(const struct ws_stack *st);
int tcp_output_probe(struct tcpcb *tp, uint32_t seq, uint32_t len);
void tcp_send_ack(struct tcpcb *tp);
void tcp_send_rst(struct tcpcb *tp);
void tcp_send_keepalive(struct tcpcb *tp);
uint32_t tcp_rcv_window(struct tcpcb *tp);

/* tcp_timer.c */
void tcp_timer_rexmt(struct tcpcb *tp);
void tcp_timer_persist(struct tcpcb *tp);
void tcp_timer_keep(struct tcpcb *tp);
void tcp_timer_2msl(struct tcpcb *tp);
void tcp_timer_delack(struct tcpcb *tp);

/* tcp_cc.c */
const struct tcp_cc_ops *tcp_cc_get(int which);
int tcp_cc_id(const struct tcp_cc_ops *cc);
uint32_t tcp_cc_maxcwnd(void);
bool tcp_cc_rto_repeated(const struct tcpcb *tp);
void tcp_cc_slowstart(struct tcpcb *tp, uint32_t acked);
void tcp_cc_rtt_sample(struct tcpcb *tp, uint32_t ack, uint32_t rtt_us);
void tcp_hystart_init(struct tcpcb *tp);

/* tcp_sack.c: scoreboard, SACK blocks both ways, pipe, NextSeg. */
static inline bool
tcp_sb_active(const struct tcpcb *tp)
{
	return (tp->t_flags & TF_SACK_PERMIT) && !tp->t_sb.broken;
}
void tcp_sb_free(struct tcpcb *tp);
void tcp_sb_xmit(struct tcpcb *tp, uint32_t seq, uint32_t end,
    uint32_t osndmax);
void tcp_sb_ack(struct tcpcb *tp, struct tcp_ackinfo *ai);
void tcp_sb_sack(struct tcpcb *tp, const struct tcp_opts *o,
    struct tcp_ackinfo *ai);
struct tcp_sbseg *tcp_sb_find(struct tcpcb *tp, uint32_t seq);
void tcp_sb_setflags(struct tcpcb *tp, struct tcp_sbseg *s, uint16_t flags);
void tcp_sb_mark_lost(struct tcpcb *tp, struct tcp_sbseg *s);
void tcp_sb_timeout(struct tcpcb *tp, bool clear_sacked);
void tcp_sb_clear_lost(struct tcpcb *tp);
void tcp_sb_split_mss(struct tcpcb *tp, uint32_t mss);
bool tcp_sb_check(const struct tcpcb *tp);
static inline uint32_t
tcp_sb_count(const struct tcpcb *tp)
{
	return tp->t_sb.tail - tp->t_sb.head;
}
static inline struct tcp_sbseg *
tcp_sb_at(const struct tcpcb *tp, uint32_t i)
{
	return &tp->t_sb.seg[tp->t_sb.head + i];
}
uint32_t tcp_sack_pipe(const struct tcpcb *tp);
bool tcp_sack_islost(const struct tcpcb *tp, const struct tcp_sbseg *s);
uint32_t tcp_sack_mark_6675(struct tcpcb *tp);
enum { TCP_NEXTSEG_NONE, TCP_NEXTSEG_REXMIT, TCP_NEXTSEG_NEW };
int tcp_sack_nextseg(struct tcpcb *tp, bool newdata, uint32_t *seq,
    uint32_t *len, int *rule);
void tcp_sack_fill(struct tcpcb *tp, struct tcp_opts *o);
void tcp_sack_sent(struct tcpcb *tp);
void tcp_sack_ooo(struct tcpcb *tp, uint32_t seq);
void tcp_sack_dsack(struct tcpcb *tp, uint32_t start, uint32_t end);

/* tcp_rack.c: RACK-TLP (RFC 8985). */
void tcp_rack_init(struct tcpcb *tp);
void tcp_rack_rtt_sample(struct tcpcb *tp, uint32_t rtt_us);
void tcp_rack_delivered(struct tcpcb *tp, const struct tcp_sbseg *s,
    const struct tcp_ackinfo *ai);
void tcp_rack_update_reo_wnd(struct tcpcb *tp, const struct tcp_ackinfo *ai,
    bool exiting);
uint32_t tcp_rack_reo_wnd(const struct tcpcb *tp);
uint32_t tcp_rack_detect_loss(struct tcpcb *tp);
void tcp_rack_schedule_pto(struct tcpcb *tp);
void tcp_rack_tlp_ack(struct tcpcb *tp, const struct tcp_ackinfo *ai);
void tcp_timer_pto(struct tcpcb *tp);
void tcp_timer_reo(struct tcpcb *tp);

/* tcp_recovery.c: fast retransmit, NewReno, RFC 6675 recovery, undo. */
void tcp_recovery_dupack(struct tcpcb *tp, struct tcp_ackinfo *ai);
bool tcp_recovery_newack(struct tcpcb *tp, struct tcp_ackinfo *ai);
void tcp_recovery_sack(struct tcpcb *tp, struct tcp_ackinfo *ai);
void tcp_enter_recovery(struct tcpcb *tp);
void tcp_recovery_timeout(struct tcpcb *tp);
void tcp_undo_note_rexmit(struct tcpcb *tp, uint32_t seq, uint32_t end);
void tcp_cwnd_reduce(struct tcpcb *tp);
uint32_t tcp_ts_of(const struct tcpcb *tp, ws_time_t t);

#endif /* WS_TCP_VAR_H */
