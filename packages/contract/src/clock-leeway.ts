/**
 * How far two machines' clocks may disagree, in seconds, when a token's times are checked: a token
 * issued by an instance whose clock runs ahead is not "issued in the future" for another. Every
 * verifier of our tokens — this server and the verification package for other services — uses this
 * one value, so a token is never good on one and refused on another right after login. 30 s is far
 * beyond what NTP-synchronised hosts drift, and small next to any token lifetime worth having.
 */
export const CLOCK_LEEWAY_SECONDS = 30;
