//! Reading an Accounting-Request (RFC 2866) into the record the store keeps.

use std::net::Ipv4Addr;

use commons_store::{AccountingRecord, AccountingStatus, NasId, SiteId};

use crate::codec::{Packet, dictionary as attr};

/// Acct-Status-Type values (RFC 2866 §5.1).
const START: u32 = 1;
const STOP: u32 = 2;
const INTERIM_UPDATE: u32 = 3;
const ACCOUNTING_ON: u32 = 7;
const ACCOUNTING_OFF: u32 = 8;

/// A 64-bit counter from its octets attribute and its gigawords attribute
/// (RFC 2869 §5.1, §5.2).
fn octets(packet: &Packet, low: u8, high: u8) -> i64 {
    let low = i64::from(packet.integer(low).unwrap_or(0));
    let high = i64::from(packet.integer(high).unwrap_or(0));
    (high << 32) | low
}

fn text(packet: &Packet, typ: u8) -> Option<String> {
    packet
        .first(typ)
        .map(|value| String::from_utf8_lossy(value).into_owned())
}

/// The record for an Accounting-Request from NAS `nas` of `site`, or the reason it
/// cannot be recorded (and so must not be acknowledged).
///
/// # Errors
///
/// A drop reason: no or an unknown Acct-Status-Type, or no Acct-Session-Id where one
/// is needed.
pub fn record_from(
    packet: &Packet,
    nas: NasId,
    site: SiteId,
    at: i64,
) -> Result<AccountingRecord, &'static str> {
    let status = match packet.integer(attr::ACCT_STATUS_TYPE) {
        Some(START) => AccountingStatus::Start,
        Some(STOP) => AccountingStatus::Stop,
        Some(INTERIM_UPDATE) => AccountingStatus::Interim,
        Some(ACCOUNTING_ON | ACCOUNTING_OFF) => AccountingStatus::NasRestart,
        Some(_) => return Err("accounting_status_unknown"),
        None => return Err("accounting_status_missing"),
    };
    let session_id = text(packet, attr::ACCT_SESSION_ID).unwrap_or_default();
    if session_id.is_empty() && status != AccountingStatus::NasRestart {
        return Err("accounting_session_id_missing");
    }
    let framed_ip = packet
        .first(attr::FRAMED_IP_ADDRESS)
        .and_then(|value| <[u8; 4]>::try_from(value).ok())
        .map(|octets| Ipv4Addr::from(octets).to_string());
    Ok(AccountingRecord {
        nas_id: nas,
        site_id: site,
        status,
        session_id,
        username: text(packet, attr::USER_NAME).unwrap_or_default(),
        calling_station_id: text(packet, attr::CALLING_STATION_ID),
        framed_ip,
        class: text(packet, attr::CLASS),
        at,
        session_secs: i64::from(packet.integer(attr::ACCT_SESSION_TIME).unwrap_or(0)),
        input_octets: octets(packet, attr::ACCT_INPUT_OCTETS, attr::ACCT_INPUT_GIGAWORDS),
        output_octets: octets(
            packet,
            attr::ACCT_OUTPUT_OCTETS,
            attr::ACCT_OUTPUT_GIGAWORDS,
        ),
        terminate_cause: packet
            .integer(attr::ACCT_TERMINATE_CAUSE)
            .map(|cause| cause.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Attribute, Code};

    fn request(attributes: Vec<Attribute>) -> Packet {
        Packet {
            code: Code::AccountingRequest,
            identifier: 1,
            authenticator: [0; 16],
            attributes,
        }
    }

    #[test]
    fn counters_include_their_gigawords() {
        let packet = request(vec![
            Attribute::integer(attr::ACCT_STATUS_TYPE, STOP),
            Attribute::text(attr::ACCT_SESSION_ID, "abc"),
            Attribute::integer(attr::ACCT_INPUT_OCTETS, 5),
            Attribute::integer(attr::ACCT_INPUT_GIGAWORDS, 2),
            Attribute::new(attr::FRAMED_IP_ADDRESS, [10, 0, 0, 9]),
            Attribute::integer(attr::ACCT_TERMINATE_CAUSE, 1),
        ]);
        let record = record_from(&packet, NasId(1), SiteId(2), 100).unwrap();
        assert_eq!(record.status, AccountingStatus::Stop);
        assert_eq!(record.input_octets, (2 << 32) + 5);
        assert_eq!(record.framed_ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(record.terminate_cause.as_deref(), Some("1"));
    }

    #[test]
    fn requests_that_cannot_be_recorded_say_why() {
        let no_status = request(vec![Attribute::text(attr::ACCT_SESSION_ID, "abc")]);
        assert_eq!(
            record_from(&no_status, NasId(1), SiteId(1), 0).unwrap_err(),
            "accounting_status_missing"
        );
        let no_session = request(vec![Attribute::integer(attr::ACCT_STATUS_TYPE, START)]);
        assert_eq!(
            record_from(&no_session, NasId(1), SiteId(1), 0).unwrap_err(),
            "accounting_session_id_missing"
        );
        let restart = request(vec![Attribute::integer(
            attr::ACCT_STATUS_TYPE,
            ACCOUNTING_ON,
        )]);
        assert_eq!(
            record_from(&restart, NasId(1), SiteId(1), 0)
                .unwrap()
                .status,
            AccountingStatus::NasRestart
        );
    }
}
