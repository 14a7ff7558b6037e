"""The identity graph: resolve_identities, split_implausible and is_plausible on inline links."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from journeymine.config import IdentityConfig
from journeymine.identity.stitch import customer_id_for, is_plausible, resolve_identities, split_implausible

LIMITS = IdentityConfig().max_identifiers_per_kind  # customer_ref 2, loyalty 3, email 3, phone 3, anonymous_id 25


def links(*pairs: tuple[str, str]) -> pd.DataFrame:
    """A link table (identifier_a, identifier_b) from pairs of 'kind:value' identifiers."""
    return pd.DataFrame(pairs, columns=["identifier_a", "identifier_b"])


def customers(frame: pd.DataFrame) -> dict[str, str]:
    """identifier → customer_id."""
    return dict(zip(frame["identifier"], frame["customer_id"], strict=True))


def test_two_records_sharing_an_email_are_one_customer() -> None:
    """A CRM row and a login that share an email join one customer."""
    frame, n_split = resolve_identities(
        links(("customer_ref:C1", "email:jane"), ("loyalty_id:L1", "email:jane"), ("customer_ref:C2", "email:john")),
        LIMITS,
    )
    ids = customers(frame)
    assert ids["customer_ref:C1"] == ids["loyalty_id:L1"] == ids["email:jane"]
    assert ids["customer_ref:C2"] == ids["email:john"] != ids["customer_ref:C1"]
    assert n_split == 0
    assert not frame["is_shared"].any()


def test_a_chain_of_links_is_one_customer() -> None:
    """A–B and B–C make A, B and C one customer, though A and C never met."""
    frame, _ = resolve_identities(links(("anonymous_id:dev1", "customer_ref:C1"), ("customer_ref:C1", "phone:p1")), LIMITS)
    assert frame["customer_id"].nunique() == 1
    assert len(frame) == 3


def test_customer_id_comes_from_the_strongest_identifier() -> None:
    """customer_id is a digest of the component's anchor: its identifier of the strongest kind
    (the smallest of them), so it is the same on every run and a device joining changes nothing."""
    frame, _ = resolve_identities(links(("phone:p1", "customer_ref:C1"), ("email:e1", "phone:p1")), LIMITS)
    assert set(frame["customer_id"]) == {customer_id_for("customer_ref:C1")}
    joined, _ = resolve_identities(links(("phone:p1", "customer_ref:C1"), ("email:e1", "phone:p1"),
                                         ("anonymous_id:0dev", "email:e1"), ("customer_ref:C2", "phone:p1")), LIMITS)
    assert set(joined["customer_id"]) == {customer_id_for("customer_ref:C1")}  # not the device's, nor C2's
    assert customer_id_for("customer_ref:C1").startswith("cu_") and len(customer_id_for("customer_ref:C1")) == 19


def test_customer_ids_do_not_depend_on_link_order() -> None:
    """The same links in another order, or with their ends swapped, give the same customers."""
    pairs = [
        ("customer_ref:C1", "email:e1"), ("email:e1", "phone:p1"), ("anonymous_id:d9", "customer_ref:C2"),
        ("loyalty_id:L3", "email:e3"), ("email:e3", "anonymous_id:d3"),
    ]
    first, _ = resolve_identities(links(*pairs), LIMITS)
    shuffled = [(b, a) if i % 2 else (a, b) for i, (a, b) in enumerate(reversed(pairs))]
    second, _ = resolve_identities(links(*shuffled), LIMITS)
    pd.testing.assert_frame_equal(first, second)
    assert first["customer_id"].nunique() == 3


def test_an_unrelated_new_customer_leaves_existing_ids_alone() -> None:
    """Adding links of other people does not change the ids of customers already known."""
    before, _ = resolve_identities(links(("customer_ref:C5", "email:e5")), LIMITS)
    after, _ = resolve_identities(links(("customer_ref:C5", "email:e5"), ("customer_ref:C0", "email:e0")), LIMITS)
    assert customers(after)["email:e5"] == customers(before)["email:e5"]


def kiosk_links(n_customers: int) -> pd.DataFrame:
    """One in-store kiosk device used by n customers, each logging in with their own account
    and having their own email."""
    pairs = []
    for i in range(n_customers):
        pairs.append(("anonymous_id:kiosk", f"customer_ref:C{i:02d}"))
        pairs.append((f"customer_ref:C{i:02d}", f"email:e{i:02d}"))
    return links(*pairs)


def test_shared_kiosk_is_set_aside_and_its_customers_stay_apart() -> None:
    """A device linked to 40 accounts is a shared kiosk: it is set aside, not merged through."""
    frame, n_split = resolve_identities(kiosk_links(40), LIMITS)
    ids = customers(frame)
    assert n_split == 1
    people = {ids[f"customer_ref:C{i:02d}"] for i in range(40)}
    assert len(people) == 40
    for i in range(40):
        assert ids[f"customer_ref:C{i:02d}"] == ids[f"email:e{i:02d}"]


def test_shared_identifier_is_its_own_flagged_pseudo_customer() -> None:
    """The set-aside identifier gets a customer id of its own and is_shared=True; nothing else is shared."""
    frame, _ = resolve_identities(kiosk_links(40), LIMITS)
    shared = frame[frame["is_shared"]]
    assert list(shared["identifier"]) == ["anonymous_id:kiosk"]
    kiosk_id = shared["customer_id"].iloc[0]
    assert kiosk_id == customer_id_for("anonymous_id:kiosk")
    assert kiosk_id not in set(frame.loc[~frame["is_shared"], "customer_id"])
    assert frame["customer_id"].nunique() == 41


def test_a_person_with_three_devices_is_not_split() -> None:
    """An account with a phone, a laptop and a tablet is one plausible person."""
    frame, n_split = resolve_identities(
        links(
            ("customer_ref:C1", "anonymous_id:phone"),
            ("customer_ref:C1", "anonymous_id:laptop"),
            ("customer_ref:C1", "anonymous_id:tablet"),
            ("customer_ref:C1", "email:e1"),
        ),
        LIMITS,
    )
    assert n_split == 0
    assert frame["customer_id"].nunique() == 1
    assert not frame["is_shared"].any()


def test_n_split_counts_the_components_that_were_split() -> None:
    """Two kiosks in two separate groups are two split components; a plain customer is none."""
    pairs = [("anonymous_id:kioskA", f"customer_ref:A{i}") for i in range(5)]
    pairs += [("anonymous_id:kioskB", f"customer_ref:B{i}") for i in range(4)]
    pairs += [("customer_ref:Z1", "email:z1")]
    frame, n_split = resolve_identities(links(*pairs), LIMITS)
    assert n_split == 2
    assert sorted(frame.loc[frame["is_shared"], "identifier"]) == ["anonymous_id:kioskA", "anonymous_id:kioskB"]
    assert frame["customer_id"].nunique() == 5 + 4 + 1 + 2


def test_switchboard_phone_is_shared_under_a_tighter_limit() -> None:
    """A call-center default number seen with 4 different accounts is set aside as shared."""
    pairs = [("phone:switchboard", f"customer_ref:C{i}") for i in range(4)]
    frame, n_split = resolve_identities(links(*pairs), LIMITS)
    assert n_split == 1
    assert list(frame.loc[frame["is_shared"], "identifier"]) == ["phone:switchboard"]
    assert frame.loc[~frame["is_shared"], "customer_id"].nunique() == 4


def test_split_implausible_sets_aside_the_best_connected_identifier() -> None:
    """split_implausible removes the hub with most links and returns the plausible parts."""
    graph = nx.Graph(list(kiosk_links(3).itertuples(index=False, name=None)))
    parts, set_aside = split_implausible(graph, graph.nodes, LIMITS)
    assert set_aside == ["anonymous_id:kiosk"]
    assert sorted(sorted(p) for p in parts) == [
        ["customer_ref:C00", "email:e00"], ["customer_ref:C01", "email:e01"], ["customer_ref:C02", "email:e02"],
    ]


def test_split_implausible_keeps_a_plausible_component_whole() -> None:
    """A plausible component comes back as one part with nothing set aside."""
    graph = nx.Graph([("customer_ref:C1", "email:e1"), ("customer_ref:C1", "phone:p1")])
    parts, set_aside = split_implausible(graph, graph.nodes, LIMITS)
    assert parts == [{"customer_ref:C1", "email:e1", "phone:p1"}]
    assert set_aside == []


def test_split_implausible_is_deterministic_under_ties() -> None:
    """Two hubs with equal degree: the same one is set aside whatever the input order."""
    edges = [("anonymous_id:k1", f"customer_ref:C{i}") for i in range(3)] + [("anonymous_id:k2", "customer_ref:C0")]
    results = set()
    for ordered in (edges, list(reversed(edges))):
        graph = nx.Graph(ordered)
        nodes = list(graph.nodes)
        for component in (nodes, list(reversed(nodes))):
            parts, set_aside = split_implausible(graph, component, LIMITS)
            results.add((tuple(set_aside), tuple(sorted(tuple(sorted(p)) for p in parts))))
    assert len(results) == 1


def test_a_loyal_customer_with_many_devices_keeps_them_when_a_kiosk_is_set_aside() -> None:
    """Splitting a component that a shared kiosk made implausible sets the kiosk aside, not the
    account of a person who has many (but a plausible number of) devices."""
    pairs = [("customer_ref:C1", f"anonymous_id:d{i:02d}") for i in range(12)]
    pairs += [("customer_ref:C1", "anonymous_id:kiosk")]
    pairs += [("anonymous_id:kiosk", f"customer_ref:K{i}") for i in range(3)]
    frame, n_split = resolve_identities(links(*pairs), LIMITS)
    ids = customers(frame)
    assert n_split == 1
    assert list(frame.loc[frame["is_shared"], "identifier"]) == ["anonymous_id:kiosk"]
    assert {ids[f"anonymous_id:d{i:02d}"] for i in range(12)} == {ids["customer_ref:C1"]}
    assert frame["customer_id"].nunique() == 5  # C1 with its devices, K0, K1, K2, the kiosk


@pytest.mark.parametrize(
    ("nodes", "plausible"),
    [
        (["customer_ref:A", "customer_ref:B"], True),  # at the limit of 2
        (["customer_ref:A", "customer_ref:B", "customer_ref:C"], False),  # one above
        ([f"anonymous_id:d{i}" for i in range(25)] + ["customer_ref:A"], True),
        ([f"anonymous_id:d{i}" for i in range(26)], False),
        ([f"crm_id:x{i}" for i in range(100)], True),  # a kind without a limit is not limited
        ([], True),
    ],
)
def test_is_plausible_compares_each_kind_with_its_limit(nodes: list[str], plausible: bool) -> None:
    """A group is plausible when no identifier kind occurs more often than its limit."""
    assert is_plausible(nodes, LIMITS) is plausible


def test_disagreeing_crm_rows_for_one_customer_are_counted(warehouse, write_file, source_config) -> None:
    """Two CRM rows for one person that disagree on the segment are reported (the latest wins in
    the customers output); rows that agree, or another person's single row, are not."""
    from journeymine.identity.stitch import stitch_identities
    from journeymine.load.source import load_source

    write_file("crm/a.csv", "customer_ref,email,segment,country\n"
               "C1,jane@example.com,gold,GB\nC1,,silver,GB\nC2,john@example.com,gold,FR\n")
    identity = IdentityConfig(salt="s")
    load_source(warehouse, source_config("crm", "crm", "crm/*.csv"), identity, run_id="r1")
    result = stitch_identities(warehouse, identity, ["crm"])
    assert result.conflicting_records == {"segment": 1}



def stitch_calls_with_placeholder(warehouse, write_file, source_config, identity: IdentityConfig):
    """1,200 calls of a default account 'HELPDESK1' without a phone (an export's stand-in for
    callers it could not identify, not one of the placeholders normalisation drops), 20 calls of
    C0 … C9 with their phones, and one call of 'HELPDESK1' from C0's phone; stitched."""
    from journeymine.identity.stitch import stitch_identities
    from journeymine.load.source import load_source

    header = "contact_id,customer_ref,caller_phone,started_at,answered_at,ended_at,queue,reason,outcome,csat,sentiment\n"
    rows = [f"p{i},HELPDESK1,,2026-01-01 10:{i % 60:02d}:00,,,q,billing,resolved,,\n" for i in range(1200)]
    rows += [f"r{i},C{i % 10},+4477009001{i % 10:02d},2026-01-02 10:{i:02d}:00,,,q,billing,resolved,,\n"
             for i in range(20)]
    rows += ["x1,HELPDESK1,+447700900100,2026-01-03 10:00:00,,,q,billing,resolved,,\n"]
    write_file("calls/a.csv", header + "".join(rows))
    load_source(warehouse, source_config("calls", "contacts", "calls/*.csv"), identity, run_id="r1")
    return stitch_identities(warehouse, identity, ["calls"])


def test_a_placeholder_customer_on_too_many_records_is_set_aside(warehouse, write_file, source_config) -> None:
    """Unidentified callers under one default account (1,201 of 1,221 calls) would be one person
    linked to C0 through a phone; over `max_identifier_share` of all records it is shared
    instead, counted, and links no one: C0 … C9 stay ten customers, the account a pseudo-customer."""
    result = stitch_calls_with_placeholder(warehouse, write_file, source_config, IdentityConfig(salt="s"))
    assert result.over_share_identifiers == {"customer_ref": 1}
    assert result.n_shared_identifiers == 1
    assert result.n_customers == 11


def test_no_identifier_is_set_aside_below_the_share(warehouse, write_file, source_config) -> None:
    """With a share limit above the account's share nothing is set aside, and it joins C0
    through the phone they share (one customer fewer)."""
    identity = IdentityConfig(salt="s", max_identifier_share=1.0)
    result = stitch_calls_with_placeholder(warehouse, write_file, source_config, identity)
    assert result.over_share_identifiers == {}
    assert result.n_customers == 10


def test_placeholders_are_the_configs_and_a_placeholder_reject_says_so(warehouse, write_file, source_config) -> None:
    """identity.placeholders is the list of "no one" values: by default a patient 'NA' is one,
    rejected with the rule named; a config whose list leaves NA out keeps that patient."""
    from journeymine.load.source import load_source

    header = "contact_id,customer_ref,phone,started_at,ended_at,agent_id,queue,reason,outcome,csat,sentiment\n"
    write_file("calls/a.csv", header + "n1,NA,,2026-01-02 10:00:00,,,q,billing,resolved,,\n"
                                       "n2,N/A,,2026-01-02 11:00:00,,,q,billing,resolved,,\n"
                                       "b1,AB,,2026-01-02 12:00:00,,,q,billing,resolved,,\n")
    calls = source_config("calls", "contacts", "calls/*.csv")
    load_source(warehouse, calls, IdentityConfig(salt="s"), run_id="r1")
    reasons = warehouse.rows("SELECT event_id, reason FROM staged.rejects ORDER BY event_id")
    assert [event_id for event_id, _ in reasons] == ["n1", "n2"]
    assert all("placeholder for no one (identity.placeholders)" in reason for _, reason in reasons)

    # another list: the settings changed, so the source is staged again under it
    load_source(warehouse, calls, IdentityConfig(salt="s", placeholders=("0", "unknown")), run_id="r2")
    assert warehouse.rows("SELECT count(*) FROM staged.rejects") == [(0,)]
    assert warehouse.rows("SELECT count(DISTINCT identity_key) FROM staged.events") == [(3,)]
