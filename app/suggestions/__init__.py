"""社情民意: what riders think their community should change, and the secretary's answer."""
