"""The Django admin runs on the root host only (operators); city data is managed through /manage/."""
