"""Keys and a static registry for local runs, so the demo buyer and the adapter can sign and verify."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from adapter.protocol.keys import EncryptionKey, KeySet, SigningKey, generate_keyset
from adapter.protocol.registry import read_registry_file, write_registry_file
from adapter.protocol.registry_entry import RegistryEntry
from config import Settings

DEMO_BUYER_ID = "demo-buyer.odop.local"
DEMO_BUYER_KEY_ID = "demo-buyer-key-1"
DEMO_BUYER_PORT = 8081
ODOP_DOMAINS = ("ONDC:RET10", "ONDC:RET12", "ONDC:RET13", "ONDC:RET16", "ONDC:RET19")
# The bundled test courier (`odop-adapter courier serve`), an ONDC logistics seller in these domains.
COURIER_ID = "courier.odop.local"
COURIER_KEY_ID = "courier-key-1"
COURIER_PORT = 8082
LOG_DOMAINS = ("ONDC:LOG10", "ONDC:LOG11")


@dataclass(frozen=True)
class Participant:
    """A subscriber id, its key id, its keys and the base URL it receives calls at."""

    subscriber_id: str
    unique_key_id: str
    keys: KeySet
    url: str


def load_or_create_keys(path: Path) -> KeySet:
    """A key set saved as JSON under DATA_DIR (created, readable by the owner only, on first use)."""
    if path.exists():
        return KeySet(**json.loads(path.read_text()))
    keys = generate_keyset()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(keys), indent=2) + "\n")
    path.chmod(0o600)
    return keys


def our_keys(settings: Settings) -> KeySet:
    """Our keys: from the settings when set, else the demo key set under DATA_DIR."""
    if settings.signing_private_key and settings.encryption_private_key:
        return KeySet.from_keys(SigningKey.from_base64(settings.signing_private_key),
                                EncryptionKey.from_base64(settings.encryption_private_key))
    return load_or_create_keys(settings.data_dir / "ondc-keys.json")


def demo_buyer(settings: Settings) -> Participant:
    """The bundled test buyer app's identity."""
    keys = load_or_create_keys(settings.data_dir / "demo-buyer-keys.json")
    return Participant(DEMO_BUYER_ID, DEMO_BUYER_KEY_ID, keys, f"http://127.0.0.1:{DEMO_BUYER_PORT}")


def demo_courier(settings: Settings, port: int = COURIER_PORT) -> Participant:
    """The bundled test courier's identity (its keys are created under DATA_DIR on first use)."""
    keys = load_or_create_keys(settings.data_dir / "courier-keys.json")
    return Participant(COURIER_ID, COURIER_KEY_ID, keys, f"http://127.0.0.1:{port}")


def _entries(participant: Participant, kind: str, now: dt.datetime,
             domains: tuple[str, ...] = ODOP_DOMAINS) -> list[RegistryEntry]:
    return [
        RegistryEntry(
            subscriber_id=participant.subscriber_id, unique_key_id=participant.unique_key_id,
            signing_public_key=participant.keys.signing_public_key,
            encr_public_key=participant.keys.encryption_public_key,
            valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=365),
            type=kind, domain=domain, city="*", subscriber_url=participant.url,
        )
        for domain in domains
    ]


def list_in_registry(path: Path, participants: list[tuple[Participant, str]], now: dt.datetime) -> None:
    """Put these participants in the static registry file, keeping every other entry in it."""
    replaced = {(p.subscriber_id, p.unique_key_id) for p, _ in participants}
    kept = [e for e in (read_registry_file(path) if path.exists() else [])
            if (e.subscriber_id, e.unique_key_id) not in replaced]
    fresh = [entry for participant, kind in participants for entry in _entries(participant, kind, now)]
    write_registry_file(path, [*kept, *fresh])


def list_courier(path: Path, me: Participant, now: dt.datetime, courier: Participant | None) -> None:
    """List the test courier as a logistics seller and us as the logistics buyer that calls it (None: unlist both)."""
    def stale(entry: RegistryEntry) -> bool:
        if (entry.subscriber_id, entry.unique_key_id) == (COURIER_ID, COURIER_KEY_ID):
            return True
        return (entry.subscriber_id, entry.unique_key_id) == (me.subscriber_id, me.unique_key_id) \
            and entry.domain in LOG_DOMAINS

    kept = [e for e in (read_registry_file(path) if path.exists() else []) if not stale(e)]
    fresh = [] if courier is None else \
        [*_entries(courier, "sellerApp", now, LOG_DOMAINS), *_entries(me, "buyerApp", now, LOG_DOMAINS)]
    write_registry_file(path, [*kept, *fresh])


def prepare_demo_network(settings: Settings, now: dt.datetime, *, courier_port: int | None = None) -> dict[str, str]:
    """Keys for us and the demo buyer, both listed in the static registry; returns the env for our processes.

    With a port for the test courier, it is listed too (a sellerApp in ONDC:LOG10/LOG11, at 127.0.0.1 on that
    port) and so are we, as its buyer; without, neither is. It is also the courier network-shipping cooperatives
    are quoted by (LOGISTICS_COURIER_URLS), unless the settings name couriers or a logistics gateway already.
    """
    ours = our_keys(settings)
    env = {"ONDC_SIGNING_PRIVATE_KEY": ours.signing_private_key,
           "ONDC_ENCRYPTION_PRIVATE_KEY": ours.encryption_private_key}
    if courier_port is not None and not settings.logistics_courier_urls and not settings.logistics_gateway_url:
        env["LOGISTICS_COURIER_URLS"] = demo_courier(settings, courier_port).url
    if settings.registry_mode == "static":
        me = Participant(settings.subscriber_id, settings.unique_key_id, ours, settings.bpp_uri)
        list_in_registry(settings.registry_file, [(me, "sellerApp"), (demo_buyer(settings), "buyerApp")], now)
        list_courier(settings.registry_file, me, now,
                     None if courier_port is None else demo_courier(settings, courier_port))
    return env
