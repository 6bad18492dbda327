"""The Django admin runs on the root host only (operators), where city tables do not exist; city data is
managed through /manage/ on the city's host. Nothing of this app is registered here."""
