"""Pages of the accounts app: residents under /account/, staff under /manage/."""
