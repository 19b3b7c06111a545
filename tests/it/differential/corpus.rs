//! The query corpus of the differential test: every name of the zones
//! (and nonexistent, empty, wildcard, occluded, redirected and out-of-zone
//! names) with every served type, plus ANY and case variants.

use hickory_proto::rr::RecordType;

/// The queries: every name of the zone (and nonexistent, empty, wildcard,
/// occluded and out-of-zone names) with every served type, plus ANY and
/// case variants.
pub fn corpus() -> Vec<(String, RecordType)> {
    let names = [
        "example.com.",
        "ns1.example.com.",
        "ns2.example.com.",
        "www.example.com.",
        "mail.example.com.",
        "ftp.example.com.",
        "alias.example.com.",
        "chain3.example.com.",
        "dangling.example.com.",
        "external.example.com.",
        "deep.example.com.",
        "c.deep.example.com.",
        "b.c.deep.example.com.",
        "a.b.c.deep.example.com.",
        "x.a.b.c.deep.example.com.",
        "quote.example.com.",
        "multi.example.com.",
        "_sip._tcp.example.com.",
        "_sip._udp.example.com.",
        "_tcp.example.com.",
        "sip.example.com.",
        "wild.example.com.",
        "*.wild.example.com.",
        "anything.wild.example.com.",
        "two.labels.wild.example.com.",
        "host.wild.example.com.",
        "sub.example.com.",
        "ns.sub.example.com.",
        "occluded.sub.example.com.",
        "deeper.below.sub.example.com.",
        "old.example.com.",
        "x.old.example.com.",
        "redir.example.com.",
        "x.redir.example.com.",
        "y.redir.example.com.",
        "none.redir.example.com.",
        "target.example.com.",
        "x.target.example.com.",
        "1.ptr.example.com.",
        "ptr.example.com.",
        "nope.example.com.",
        "nope.nope.example.com.",
        "svc.example.com.",
        "_dns.example.com.",
        "_443._tcp.www.example.com.",
        "_tcp.www.example.com.",
        // A DNAME at the apex: the apex answers its own data, every name
        // below it (whatever the type, NS and SOA included) is redirected.
        "mybankcard.example.",
        "foo.mybankcard.example.",
        "a.b.mybankcard.example.",
        "*.mybankcard.example.",
    ];
    let types = [
        RecordType::A,
        RecordType::AAAA,
        RecordType::CNAME,
        RecordType::DNAME,
        RecordType::MX,
        RecordType::NS,
        RecordType::TXT,
        RecordType::SRV,
        RecordType::CAA,
        RecordType::PTR,
        RecordType::SOA,
        RecordType::HTTPS,
        RecordType::SVCB,
        RecordType::TLSA,
        RecordType::SSHFP,
        RecordType::DS,
        RecordType::NAPTR,
        RecordType::Unknown(65534),
    ];
    let mut corpus = Vec::new();
    for name in names {
        for t in types {
            corpus.push((name.to_string(), t));
        }
    }
    for name in [
        "example.com.",
        "www.example.com.",
        "nope.example.com.",
        "anything.wild.example.com.",
        "ns.sub.example.com.",
        "mybankcard.example.",
        "foo.mybankcard.example.",
    ] {
        corpus.push((name.to_string(), RecordType::ANY));
    }
    for (name, t) in [
        ("WwW.ExAmPlE.CoM.", RecordType::A),
        ("EXAMPLE.COM.", RecordType::MX),
        ("Ftp.Example.Com.", RecordType::A),
        ("NOPE.example.com.", RecordType::A),
        ("Deep.Example.Com.", RecordType::A),
        ("AnyThing.WILD.example.com.", RecordType::A),
        ("NS.SUB.example.com.", RecordType::A),
        ("X.Redir.Example.Com.", RecordType::A),
        ("Foo.MyBankCard.Example.", RecordType::A),
        ("MYBANKCARD.example.", RecordType::TXT),
        ("Quote.Example.COM.", RecordType::TXT),
        ("example.net.", RecordType::A),
        ("com.", RecordType::SOA),
        ("notexample.com.", RecordType::A),
    ] {
        corpus.push((name.to_string(), t));
    }
    corpus
}
