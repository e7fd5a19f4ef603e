"""What the demo builds: the platform, its tree of customers, device models and license types,
and the demo's logins. Read by `daypass demo`, `daypass run` and the console's login page."""

from __future__ import annotations

DEMO_PLATFORM_NAME = "Meridian Telematics"
DEMO_ADMIN_USERNAME = "admin"
DEMO_PASSWORD = "daypass-demo"
DEMO_SEED = 2026

# distributor → dealer → fleets
DEMO_TREE: dict[str, dict[str, list[str]]] = {
    "Northwind Distribution": {
        "Harbor Fleet Solutions": ["Bayside Taxi", "Pier Nine Freight", "Harbor City Buses"],
        "Coastline Telematics": ["Seaview Couriers", "Lighthouse Logistics"],
        "Tidewater Auto Electric": ["Tidewater Waste Services", "Marina Car Rentals"],
    },
    "Eastgate Supply": {
        "Summit Vehicle Tech": ["Alpine Coaches", "Ridge Haulage", "Peak Ambulance"],
        "Riverbend Trackers": ["Riverbend School Buses", "Delta Cold Chain"],
        "Metro Dashcam Centre": ["Metro Cabs", "Uptown Deliveries"],
    },
    "Southern Cross Devices": {
        "Outback Fleet Systems": ["Red Dust Mining Transport", "Dingo Logistics"],
        "Pacific Rim Electronics": ["Pacific Ferry Shuttles", "Lagoon Tours", "Reef Couriers"],
        "Cape Telematics": ["Cape Movers", "Southern Tankers"],
    },
}

DEMO_DEVICE_MODELS = {
    "MX-C6": "MX-C6 4G dashcam",
    "MX-D2": "MX-D2 dual-lens dashcam",
    "AD-Plus": "AD-Plus ADAS camera",
    "GT-100": "GT-100 GPS tracker",
    "MDVR-8": "MDVR-8 8-channel mobile DVR",
}

# code: (name, days, models, charge_days, period_hours)
DEMO_LICENSE_TYPES = {
    "ADAS-365": ("ADAS service, 1 year", 365, ["AD-Plus", "MX-C6"], 1, 24),
    "GPS-30": ("GPS tracking, 30 days", 30, ["GT-100", "MX-C6", "MX-D2", "AD-Plus"], 1, 24),
    "DVR-180": ("Video recording, 180 days", 180, ["MX-D2", "MDVR-8"], 1, 24),
    "VIDEO-90": ("Live video, 90 days", 90, ["MX-C6", "MX-D2", "MDVR-8"], 1, 24),
    "TRACK-364W": ("Tracking, 52 weeks, billed weekly", 364, ["GT-100"], 7, 168),
}
