import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from collector.storage.codecs import decode_inet, encode_inet


@given(st.ip_addresses())
def test_inet_round_trips_through_the_binary_format(ip) -> None:
    assert ipaddress.ip_address(decode_inet(encode_inet(str(ip)))) == ip


async def test_postgresql_reads_our_inet_encoding_as_the_same_address(server) -> None:
    async with server.pool.acquire() as conn:
        text = await conn.fetchval("SELECT host($1::inet)", "2001:db8:abcd::")
        assert text == "2001:db8:abcd::"
        assert await conn.fetchval("SELECT $1::inet", "198.51.0.0") == "198.51.0.0"
