/*
 * TCP connection states (RFC 9293 3.3.2), in the order OpenBSD's
 * tcp_fsm.h gives them so that "has the connection reached state X" is a
 * comparison.  The values equal the public enum ws_tcp_state.
 */
#ifndef WS_TCP_FSM_H
#define WS_TCP_FSM_H

#include <wirestack/tcp.h>

#define TCPS_CLOSED WS_TCPS_CLOSED             /* closed */
#define TCPS_LISTEN WS_TCPS_LISTEN             /* listening for connection */
#define TCPS_SYN_SENT WS_TCPS_SYN_SENT         /* active, have sent syn */
#define TCPS_SYN_RECEIVED WS_TCPS_SYN_RECEIVED /* have sent and received syn */
/* States < TCPS_ESTABLISHED are those where connections not established. */
#define TCPS_ESTABLISHED WS_TCPS_ESTABLISHED   /* established */
#define TCPS_CLOSE_WAIT WS_TCPS_CLOSE_WAIT     /* rcvd fin, waiting for close */
/* States > TCPS_CLOSE_WAIT are those where user has closed. */
#define TCPS_FIN_WAIT_1 WS_TCPS_FIN_WAIT_1     /* have closed, sent fin */
#define TCPS_CLOSING WS_TCPS_CLOSING           /* closed xchd FIN; await ack */
#define TCPS_LAST_ACK WS_TCPS_LAST_ACK         /* had fin and close; await ack */
/* States > TCPS_CLOSE_WAIT && < TCPS_FIN_WAIT_2 await ACK of FIN. */
#define TCPS_FIN_WAIT_2 WS_TCPS_FIN_WAIT_2     /* have closed, fin is acked */
#define TCPS_TIME_WAIT WS_TCPS_TIME_WAIT       /* in 2*msl quiet wait */
#define TCP_NSTATES 11

/* We have received a SYN: the peer's sequence space is known. */
#define TCPS_HAVERCVDSYN(s) ((s) >= TCPS_SYN_RECEIVED)
/* The handshake completed at some point. */
#define TCPS_HAVEESTABLISHED(s) ((s) >= TCPS_ESTABLISHED)
/* We have received the peer's FIN. */
#define TCPS_HAVERCVDFIN(s) \
	((s) == TCPS_CLOSE_WAIT || (s) == TCPS_CLOSING || \
	    (s) == TCPS_LAST_ACK || (s) == TCPS_TIME_WAIT)
/* Synchronized states (RFC 9293 3.5.2): everything from ESTABLISHED on. */
#define TCPS_SYNCHRONIZED(s) ((s) >= TCPS_ESTABLISHED)
/* We have sent our FIN (it may still be unacknowledged). */
#define TCPS_HAVESENTFIN(s) ((s) > TCPS_CLOSE_WAIT)

#endif /* WS_TCP_FSM_H */
