//! Geoproximity arithmetic: great-circle distance and Route 53's bias rule.
//!
//! Invariant: pure functions of their arguments; no allocation, no I/O.

/// Mean Earth radius in kilometres (IUGG), the usual haversine constant.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres between two `(latitude, longitude)`
/// points in degrees, by the haversine formula.
pub fn great_circle_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let half_dlat = (lat2 - lat1) / 2.0;
    let half_dlon = (lon2 - lon1) / 2.0;
    let h = half_dlat.sin().powi(2) + lat1.cos() * lat2.cos() * half_dlon.sin().powi(2);
    // min(1.0) guards against rounding pushing antipodal points past 1.
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A distance scaled by a record set's geoproximity bias (SPEC section 3):
/// bias b > 0 shrinks it to `d × (1 − b/100)` (the set attracts more clients),
/// b < 0 grows it to `d / (1 + b/100)`. Zone validation keeps b within
/// -99..=99; values outside are clamped so the result stays finite.
pub fn biased_distance(d: f64, bias: i32) -> f64 {
    let b = f64::from(bias.clamp(-99, 99));
    if b >= 0.0 {
        d * (1.0 - b / 100.0)
    } else {
        d / (1.0 + b / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRANKFURT: (f64, f64) = (50.11, 8.68);
    const PARIS: (f64, f64) = (48.86, 2.35);
    const TOKYO: (f64, f64) = (35.68, 139.69);

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    #[test]
    fn known_distances() {
        // Frankfurt–Paris is about 479 km, Frankfurt–Tokyo about 9 350 km.
        let fra_par = great_circle_km(FRANKFURT, PARIS);
        assert!(close(fra_par, 479.0, 5.0), "{fra_par}");
        let fra_tyo = great_circle_km(FRANKFURT, TOKYO);
        assert!(close(fra_tyo, 9350.0, 30.0), "{fra_tyo}");
        // One degree of longitude on the equator.
        assert!(close(
            great_circle_km((0.0, 0.0), (0.0, 1.0)),
            111.195,
            0.01
        ));
        assert_eq!(great_circle_km(PARIS, PARIS), 0.0);
        assert!(close(
            great_circle_km(PARIS, TOKYO),
            great_circle_km(TOKYO, PARIS),
            1e-9
        ));
        // Antipodes: half the circumference, across the date line too.
        let half = std::f64::consts::PI * EARTH_RADIUS_KM;
        assert!(close(
            great_circle_km((0.0, -179.0), (0.0, 1.0)),
            half,
            1e-6
        ));
        assert!(close(
            great_circle_km((90.0, 0.0), (-90.0, 0.0)),
            half,
            1e-6
        ));
        // Crossing the date line is short, not around the world.
        assert!(close(
            great_circle_km((0.0, 179.5), (0.0, -179.5)),
            111.195,
            0.01
        ));
    }

    #[test]
    fn bias_follows_the_spec_for_both_signs() {
        assert_eq!(biased_distance(1000.0, 0), 1000.0);
        assert!(close(biased_distance(1000.0, 50), 500.0, 1e-9));
        assert!(close(biased_distance(1000.0, 99), 10.0, 1e-9));
        assert!(close(biased_distance(1000.0, 25), 750.0, 1e-9));
        assert!(close(biased_distance(1000.0, -50), 2000.0, 1e-9));
        assert!(close(biased_distance(1000.0, -99), 100_000.0, 1e-6));
        assert!(close(biased_distance(1000.0, -20), 1250.0, 1e-9));
        // Out-of-range input is clamped rather than dividing by zero.
        assert!(biased_distance(1000.0, -100).is_finite());
        assert!(close(biased_distance(1000.0, 150), 10.0, 1e-9));
    }
}
