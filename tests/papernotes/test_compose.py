"""The compose stack publishes the proxy only, and the site trusts exactly that one proxy."""

import re

import yaml

from tests.conftest import REPO


def _compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def test_gunicorn_is_reachable_from_the_proxy_only():
    services = _compose()["services"]
    networks = _compose()["networks"]

    # only the proxy publishes a port
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    # web shares a network with nothing that can be reached from outside but the proxy
    for network in services["web"]["networks"]:
        assert networks[network].get("internal") is True, network
        others = {name for name, service in services.items() if network in service.get("networks", [])} - {"web"}
        assert others <= {"proxy", "worker", "drafting", "beat", "postgres", "redis"}
        if network != "backend":
            assert others == {"proxy"}
    assert "edge" in services["proxy"]["networks"]


def test_the_site_trusts_as_many_proxies_as_there_are_and_the_proxy_overwrites_the_header():
    services = _compose()["services"]
    proxies_in_front = 1  # the "proxy" service, with nothing else published

    assert services["web"]["environment"]["API_NUM_PROXIES"] == str(proxies_in_front)
    nginx = (REPO / "deploy" / "nginx.conf").read_text()
    # replaced with the address nginx sees, never appended to what the client sent
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", nginx)
    assert "$proxy_add_x_forwarded_for" not in nginx
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", nginx)
