/*
 * Address text (core/addr.c) and error text (core/err.c): what the apps
 * accept on their command lines, and what they print.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wirestack/err.h>
#include <wirestack/stack.h>

static void
test_ip4_parse_good(void **state)
{
	static const struct {
		const char *s;
		uint32_t addr;
		uint8_t plen;
	} good[] = {
		{ "198.18.0.1", 0xc6120001, 32 },
		{ "198.18.0.1/24", 0xc6120001, 24 },
		{ "198.19.255.254/15", 0xc613fffe, 15 },
		{ "0.0.0.0/0", 0, 0 },
		{ "255.255.255.255/32", 0xffffffff, 32 },
		{ "1.2.3.4/0", 0x01020304, 0 },
		{ "10.0.0.1/8", 0x0a000001, 8 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint32_t addr = 0xdeadbeef;
		uint8_t plen = 99;

		assert_int_equal(ws_ip4_parse(good[i].s, &addr, &plen), 0);
		/* Host byte order. */
		assert_int_equal(addr, good[i].addr);
		assert_int_equal(plen, good[i].plen);
	}
	/* Without a slash the prefix pointer may be NULL. */
	{
		uint32_t addr;

		assert_int_equal(ws_ip4_parse("198.18.0.2", &addr, NULL), 0);
		assert_int_equal(addr, 0xc6120002);
	}
}

static void
test_ip4_parse_bad(void **state)
{
	static const char *const bad[] = {
		"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/+8",
		"1.2.3.4/ 8", "1.2.3.4/8x", "1.2.3.4/8/8", "1.2.3.4/99999999999999999999",
		"/24", "", "garbage", "1.2.3", "1.2.3.4.5", "256.1.1.1",
		"1.2.3.-4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\n", "1..2.3",
		"0x1.2.3.4", "1.2.3.4/24 ", "::1", "198.18.0.1:80",
		"111.111.111.111/32x", "1111.1.1.1",
		"198.18.0.1/24aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t addr = 0;
		uint8_t plen = 0;

		if (ws_ip4_parse(bad[i], &addr, &plen) != WS_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	{
		uint32_t addr;

		assert_int_equal(ws_ip4_parse(NULL, &addr, NULL), WS_EINVAL);
		/* A prefix given where none can be returned is refused. */
		assert_int_equal(ws_ip4_parse("1.2.3.4/24", &addr, NULL),
		    WS_EINVAL);
	}
}

static void
test_ip4_format(void **state)
{
	char buf[16];
	uint32_t addr;
	uint8_t plen;

	(void)state;
	assert_string_equal(ws_ip4_format(0xc6120001, buf, sizeof(buf)),
	    "198.18.0.1");
	assert_string_equal(ws_ip4_format(0xffffffff, buf, sizeof(buf)),
	    "255.255.255.255");
	assert_string_equal(ws_ip4_format(0, buf, sizeof(buf)), "0.0.0.0");
	/* Round trip. */
	for (uint64_t a64 = 1; a64 <= 0xffffffffu; a64 += 0x0707070bu) {
		uint32_t a = (uint32_t)a64;

		ws_ip4_format(a, buf, sizeof(buf));
		assert_int_equal(ws_ip4_parse(buf, &addr, &plen), 0);
		assert_int_equal(addr, a);
		assert_int_equal(plen, 32);
	}
	/* A short buffer is truncated, never overrun. */
	{
		char small[8];

		memset(small, 'x', sizeof(small));
		ws_ip4_format(0xc6120001, small, sizeof(small));
		assert_int_equal(small[sizeof(small) - 1], '\0');
	}
}

static void
test_mac_parse(void **state)
{
	static const char *const bad[] = {
		"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02:00:00:00:00:01 ",
		" 02:00:00:00:00:01", "02-00-00-00-00-01", "020000000001",
		"zz:00:00:00:00:01", "-1:00:00:00:00:01", "+1:00:00:00:00:01",
		"0x:00:00:00:00:01", "002:00:00:00:00:01", "02:00:00:00:00:",
		"02::00:00:00:01", "02:00:00:00:00:0g", "02:00:00:00:00:01:",
		"garbage",
	};
	uint8_t mac[6];
	uint8_t want[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

	(void)state;
	assert_int_equal(ws_mac_parse("02:00:00:00:00:01", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(ws_mac_parse("AA:bb:Cc:dD:ee:FF", mac), 0);
	assert_memory_equal(mac, ((uint8_t[]){ 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	    0xff }), 6);
	/* Single digits, as ip(8) prints nothing else but people type. */
	assert_int_equal(ws_mac_parse("2:0:0:0:a:1", mac), 0);
	assert_memory_equal(mac, ((uint8_t[]){ 2, 0, 0, 0, 0xa, 1 }), 6);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(mac, want, 6);
		if (ws_mac_parse(bad[i], mac) != WS_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		/* Failure leaves the output alone. */
		assert_memory_equal(mac, want, 6);
	}
	assert_int_equal(ws_mac_parse(NULL, mac), WS_EINVAL);
}

static void
test_errors(void **state)
{
	static const int codes[] = {
		WS_EAGAIN, WS_EINVAL, WS_ENOMEM, WS_EPERM, WS_EACCES, WS_ENODEV,
		WS_EIO, WS_EADDRINUSE, WS_EADDRNOTAVAIL, WS_ECONNREFUSED,
		WS_ECONNRESET, WS_ECONNABORTED, WS_ETIMEDOUT, WS_EHOSTUNREACH,
		WS_ENETUNREACH, WS_ENOTCONN, WS_EISCONN, WS_EALREADY,
		WS_EINPROGRESS, WS_EPIPE, WS_EMSGSIZE, WS_ENOBUFS,
		WS_EOPNOTSUPP, WS_ENOENT,
	};

	(void)state;
	/* Codes are -errno. */
	assert_int_equal(WS_ECONNRESET, -ECONNRESET);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *name = ws_err_name(codes[i]);
		const char *text = ws_strerror(codes[i]);

		assert_true(codes[i] < 0);
		assert_non_null(name);
		assert_non_null(text);
		assert_string_not_equal(name, "UNKNOWN");
		assert_string_not_equal(text, "unknown error");
		assert_true(name[0] == 'E');
		/* Distinct codes, distinct names. */
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ws_err_name(codes[j]), name);
	}
	assert_string_equal(ws_err_name(WS_ECONNRESET), "ECONNRESET");
	assert_string_equal(ws_err_name(WS_EMSGSIZE), "EMSGSIZE");
	/* The permission message says what to do about it. */
	assert_non_null(strstr(ws_strerror(WS_EPERM), "sudo"));
	assert_non_null(strstr(ws_strerror(WS_EPERM), "setcap"));
	assert_non_null(strstr(ws_strerror(WS_EACCES), "setcap"));
	assert_string_equal(ws_strerror(0), "success");
	assert_string_equal(ws_strerror(-99999), "unknown error");
	assert_string_equal(ws_err_name(-99999), "UNKNOWN");
	assert_string_equal(ws_strerror(12345), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4_parse_good),
		cmocka_unit_test(test_ip4_parse_bad),
		cmocka_unit_test(test_ip4_format),
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
