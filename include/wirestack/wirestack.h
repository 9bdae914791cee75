/*
 * wirestack: a user-space TCP/IPv4 stack.  The one header applications
 * include.  See wirestack(7) for the overview.
 */
#ifndef WIRESTACK_WIRESTACK_H
#define WIRESTACK_WIRESTACK_H

#include <wirestack/err.h>
#include <wirestack/link.h>
#include <wirestack/loop.h>
#include <wirestack/stack.h>
#include <wirestack/stats.h>
#include <wirestack/tcp.h>
#include <wirestack/time.h>

#define WIRESTACK_VERSION_MAJOR 0
#define WIRESTACK_VERSION_MINOR 1

#endif /* WIRESTACK_WIRESTACK_H */
