"""静默认证: campaigns that re-qualify every pension recipient from the departments' data, invite
the silent ones to a selfie, and leave every stop of a payment to a clerk."""
